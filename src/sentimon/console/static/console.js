// The console page: fetches the fixed charts, alerts and component health from this
// origin's read-only API, draws them with uPlot and refreshes them on its own.
"use strict";

const PALETTE = ["#2f5fd0", "#e8590c", "#2e7d32", "#c62828", "#8e44ad", "#00838f",
                 "#b26a00", "#5d6773", "#d6336c", "#1b998b"];
const HEIGHT = 220;

const state = {
  catalogue: null,
  range: null,
  grafana: null,         // {url, up, dashboards}
  problems: new Map(),   // source ("Prometheus", "Alertmanager", "console") -> message
};
// uPlot instances by chart id: the integration tests read their data from here.
window.consoleCharts = {};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function trimmed(value, digits = 3) {
  return Number(value.toPrecision(digits)).toString();
}

function formatter(unit) {
  const scaled = (value, suffix, base, units) => {
    let i = 0;
    while (Math.abs(value) >= base && i < units.length - 1) { value /= base; i++; }
    return `${trimmed(value)} ${units[i]}${suffix}`;
  };
  return (value) => {
    if (value == null || Number.isNaN(value)) return "–";
    switch (unit) {
      case "percentunit": return `${trimmed(value * 100)}%`;
      case "s":
        if (value === 0) return "0 s";
        if (Math.abs(value) < 1e-3) return `${trimmed(value * 1e6)} µs`;
        if (Math.abs(value) < 1) return `${trimmed(value * 1e3)} ms`;
        return `${trimmed(value)} s`;
      case "reqps": return `${trimmed(value)} req/s`;
      case "Bps": return scaled(value, "/s", 1024, ["B", "KiB", "MiB", "GiB", "TiB"]);
      default: return trimmed(value);
    }
  };
}

async function getJSON(path) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: "application/json" } });
  } catch (error) {
    throw Object.assign(new Error(`the console at ${location.origin} does not answer`),
                        { source: "console" });
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : null;
    const message = body.error || detail || `${path} answered ${response.status}`;
    const source = /^(Prometheus|Alertmanager)/.exec(message);
    throw Object.assign(new Error(message), { source: source ? source[1] : "console" });
  }
  return body;
}

function showProblems() {
  const box = document.getElementById("problems");
  box.replaceChildren(...[...state.problems.values()].map((m) => el("p", { text: m })));
  box.hidden = state.problems.size === 0;
}

// ---- charts ------------------------------------------------------------------------

function thresholdHook(threshold) {
  return (u) => {
    if (threshold == null) return;
    const y = Math.round(u.valToPos(threshold, "y", true));
    if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "#c62828";
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.restore();
  };
}

function plotOptions(chart, data, width) {
  const format = formatter(chart.unit);
  const bars = chart.kind === "bars";
  const yRange = (u, min, max) => {
    const top = Math.max(max ?? 0, chart.threshold ?? 0);
    return [Math.min(0, min ?? 0), top > 0 ? top * 1.08 : 1];
  };
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: !bars }, y: { range: yRange } },
    axes: [
      bars ? { values: (u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`) } : {},
      { size: 70, values: (u, ticks) => ticks.map(format) },
    ],
    legend: { show: true },
    series: [
      bars ? { label: "confidence ≤", value: (u, v) => (v == null ? "–" : `${Math.round(v * 100)}%`) } : {},
      ...data.series.map((s, i) => ({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        width: bars ? 1 : 1.5,
        fill: bars ? `${PALETTE[i % PALETTE.length]}99` : undefined,
        paths: bars ? uPlot.paths.bars({ size: [0.85, 60] }) : undefined,
        value: (u, v) => format(v),
      })),
    ],
    hooks: { draw: [thresholdHook(chart.threshold)] },
  };
}

function hasPoints(data) {
  return data.series.some((s) => s.values.some((v) => v != null));
}

function drawChart(chart, card, data) {
  const plot = card.querySelector(".plot");
  const note = card.querySelector(".note");
  const key = data.series.map((s) => s.label).join("\u0000");
  let u = window.consoleCharts[chart.id];
  if (u && u._seriesKey !== key) {
    u.destroy();
    delete window.consoleCharts[chart.id];
    u = null;
  }
  const aligned = [data.x, ...data.series.map((s) => s.values)];
  if (!u) {
    u = new uPlot(plotOptions(chart, data, plot.clientWidth || 480), aligned, plot);
    u._seriesKey = key;
    if (chart.requests) listenForClicks(chart, u);
    window.consoleCharts[chart.id] = u;
  } else {
    u.setData(aligned);
  }
  note.className = "note small muted";
  const hint = chart.requests ? " Click a point for the slowest requests of its minute." : "";
  note.textContent = hasPoints(data) ? chart.description + hint : "No data in this time range.";
}

async function refreshChart(chart, card) {
  try {
    const data = await getJSON(`/api/charts/${encodeURIComponent(chart.id)}?range=${state.range}`);
    drawChart(chart, card, data);
    return null;
  } catch (error) {
    const note = card.querySelector(".note");
    note.className = "note small bad";
    note.textContent = `No chart: ${error.message}`;
    return error;
  }
}

function chartCard(chart) {
  const title = el("h2", { class: "title", text: chart.title });
  const attrs = { class: "card chart", id: `chart-${chart.id}`, "data-chart": chart.id };
  if (chart.requests) attrs["data-requests"] = "";
  return el("article", attrs, title, el("div", { class: "plot" }), el("p", { class: "note small muted" }));
}

function setTitle(chart, card) {
  const title = card.querySelector(".title");
  const board = state.grafana?.up
    ? state.grafana.dashboards.find((d) => d.stem === chart.dashboard) : null;
  if (board) {
    title.replaceChildren(el("a", { href: board.url, title: `${board.title} in Grafana` },
                             chart.title));
  } else {
    title.textContent = chart.title;
  }
}

// ---- a clicked point: the slowest requests of its minute, and their log lines ------

function listenForClicks(chart, u) {
  // The point nearest the click: its time ends the minute listed, as it ends its rate window.
  u.over.addEventListener("click", (event) => {
    const i = u.posToIdx(event.clientX - u.over.getBoundingClientRect().left);
    const at = u.data[0][i];
    if (at != null) showRequests(chart, at);
  });
}

async function showRequests(chart, at) {
  const panel = document.getElementById("requests");
  const list = document.getElementById("request-list");
  const note = document.getElementById("requests-note");
  panel.hidden = false;
  document.getElementById("request-logs").hidden = true;
  document.getElementById("requests-when").textContent =
    `${chart.title}, the minute up to ${new Date(at * 1000).toLocaleTimeString()}`;
  list.replaceChildren();
  note.className = "small muted";
  note.textContent = "loading…";
  panel.scrollIntoView({ block: "nearest" });
  try {
    const query = `chart=${encodeURIComponent(chart.id)}&at=${at.toFixed(3)}`;
    const { requests } = await getJSON(`/api/requests?${query}`);
    note.textContent = requests.length
      ? "Slowest first, from the histogram's exemplars in Prometheus."
      : "No request recorded in that minute.";
    list.replaceChildren(...requests.map(requestRow));
  } catch (error) {
    note.className = "small bad";
    note.textContent = `No requests: ${error.message}`;
  }
}

function requestRow(r) {
  const button = el("button", { type: "button", class: "show-logs", text: "log lines" });
  button.addEventListener("click", () => showLogs(r.request_id));
  return el("tr", { "data-request-id": r.request_id },
            el("td", { class: /^5/.test(r.status ?? "") ? "bad" : "", text: r.status ?? "–" }),
            el("td", { text: r.method ?? "–" }),
            el("td", { text: r.route ?? r.detail }),
            el("td", { class: "num", text: `${trimmed(r.seconds * 1000)} ms` }),
            el("td", {}, el("code", { text: r.request_id })),
            el("td", {}, button));
}

function logLine(record) {
  const { ts, level, message, ...fields } = record;
  const rest = Object.entries(fields).map(
    ([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return [ts, (level ?? "").padEnd(8), message ?? "", ...rest].join(" ");
}

async function showLogs(requestId) {
  const box = document.getElementById("request-logs");
  const pre = document.getElementById("log-lines");
  box.hidden = false;
  document.getElementById("logs-request-id").textContent = requestId;
  pre.textContent = "loading…";
  try {
    const found = await getJSON(`/api/logs?request_id=${encodeURIComponent(requestId)}`);
    const lines = found.lines.map(logLine);
    if (found.truncated) lines.push(`… the first ${found.lines.length} lines only`);
    pre.textContent = lines.length
      ? lines.join("\n") : `No log line with this request id in ${found.log_dir}.`;
  } catch (error) {
    pre.textContent = `No log lines: ${error.message}`;
  }
  box.scrollIntoView({ block: "nearest" });
}

// ---- alerts and components ---------------------------------------------------------

async function refreshAlerts() {
  const list = document.getElementById("alerts");
  try {
    const { alerts } = await getJSON("/api/alerts");
    if (alerts.length === 0) {
      list.replaceChildren(el("li", { class: "muted", text: "Nothing firing." }));
    } else {
      list.replaceChildren(...alerts.map((a) => {
        const where = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(" ");
        return el("li", { class: "alert", "data-alertname": a.name },
                  el("span", { class: `severity ${a.severity}`, text: a.severity || "–" }),
                  el("strong", { text: a.name }),
                  a.state === "active" ? "" : el("span", { class: "muted", text: ` (${a.state})` }),
                  el("div", { class: "small", text: a.summary }),
                  el("div", { class: "small muted", text: `since ${new Date(a.starts_at).toLocaleString()} · ${where}` }));
      }));
    }
    return null;
  } catch (error) {
    list.replaceChildren(el("li", { class: "muted", text: "Alerts unknown: see above." }));
    return error;
  }
}

async function refreshComponents() {
  const body = document.getElementById("components");
  try {
    const { components, grafana } = await getJSON("/api/components");
    state.grafana = grafana;
    body.replaceChildren(...components.map((c) => el("tr", { "data-component": c.name },
      el("td", {}, c.state === "healthy" ? el("a", { href: c.url, text: c.title }) : c.title),
      el("td", { class: `state-${c.state.replace(" ", "-")}`, text: c.state }),
      el("td", { class: "small muted", text: c.detail || "" }))));
    const line = document.getElementById("grafana");
    if (grafana.up) {
      line.replaceChildren("Grafana dashboards: ", ...grafana.dashboards.flatMap((d, i) =>
        [i ? " · " : "", el("a", { href: d.url, text: d.title || d.stem })]));
    } else {
      line.textContent = `Grafana does not answer at ${grafana.url}: these charts are the `
        + "console's own, from the same queries as its dashboards.";
    }
    return null;
  } catch (error) {
    return error;
  }
}

// ---- the page ----------------------------------------------------------------------

async function refreshAll() {
  const cards = state.catalogue.charts.map((c) => [c, document.getElementById(`chart-${c.id}`)]);
  const errors = await Promise.all([
    refreshComponents(),
    refreshAlerts(),
    ...cards.map(([chart, card]) => refreshChart(chart, card)),
  ]);
  for (const [chart, card] of cards) setTitle(chart, card);
  state.problems.clear();
  for (const error of errors) if (error) state.problems.set(error.source, error.message);
  showProblems();
  document.getElementById("updated").textContent =
    `updated ${new Date().toLocaleTimeString()} · every ${state.catalogue.refresh_seconds} s`;
}

function pickRange(name) {
  state.range = name;
  // The range lives in the URL too: a reload, a bookmark or a shared link opens on it.
  const url = new URL(location.href);
  url.searchParams.set("range", name);
  history.replaceState(null, "", url);
  for (const button of document.querySelectorAll("#ranges button")) {
    button.setAttribute("aria-pressed", String(button.dataset.range === name));
  }
  refreshAll();
}

function resize() {
  for (const [id, u] of Object.entries(window.consoleCharts)) {
    const plot = document.querySelector(`#chart-${id} .plot`);
    if (plot && plot.clientWidth) u.setSize({ width: plot.clientWidth, height: HEIGHT });
  }
}

async function start() {
  try {
    state.catalogue = await getJSON("/api/charts");
  } catch (error) {
    state.problems.set(error.source, error.message);
    showProblems();
    return;
  }
  const { catalogue } = state;
  document.getElementById("sources").textContent =
    `Prometheus ${catalogue.prometheus} · Alertmanager ${catalogue.alertmanager}`;
  document.getElementById("ranges").replaceChildren(...catalogue.ranges.map((name) => {
    const button = el("button", { type: "button", "data-range": name, text: name });
    button.addEventListener("click", () => pickRange(name));
    return button;
  }));
  document.getElementById("charts").replaceChildren(...catalogue.charts.map(chartCard));
  window.addEventListener("resize", resize);
  const asked = new URLSearchParams(location.search).get("range");
  pickRange(catalogue.ranges.includes(asked) ? asked : catalogue.default_range);
  setInterval(refreshAll, catalogue.refresh_seconds * 1000);
}

document.addEventListener("DOMContentLoaded", start);

"use strict";

const $ = (id) => document.getElementById(id);
const form = $("form");
const input = $("text");
const submit = $("submit");
const counter = $("counter");
const errorBox = $("error");
const result = $("result");
const feedbackBox = $("feedback");
const feedbackLabels = $("feedback-labels");
const feedbackNo = $("feedback-no");

let maxChars = null; // from GET /info; null until known
let busy = false;
// What "Was this right?" is about: {token, predicted, busy, done}; null when feedback is off.
let feedback = null;

// The API counts and slices text in Unicode code points (Python str indices);
// JS strings are UTF-16, so an emoji is one character there but two here.
const codePoints = (text) => Array.from(text);
const percent = (p) => `${(p * 100).toFixed(1)}%`;

function showError(message) {
  errorBox.textContent = message;
}

function announce(message) {
  $("status").textContent = message;
}

/** What to tell the user about an answer that is not the expected JSON. */
function serverMessage(res, body) {
  const id = body?.request_id ? ` (request id ${body.request_id})` : "";
  const fallback = res.ok
    ? "The server sent an answer this page cannot read."
    : `The server answered ${res.status} ${res.statusText}.`;
  return `${body?.error?.message ?? fallback}${id}`;
}

function updateCounter() {
  const n = codePoints(input.value).length;
  const over = maxChars !== null && n > maxChars;
  counter.textContent = maxChars === null
    ? `${n} characters`
    : `${n} / ${maxChars}${over ? " — too long" : ""}`;
  counter.classList.toggle("over", over);
  submit.disabled = busy || over;
}

async function loadInfo() {
  const line = $("model-info");
  try {
    const res = await fetch("/info", { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const info = await res.json();
    maxChars = info.limits?.max_text_chars ?? null;
    const model = info.model ?? {};
    const test = model.metrics?.test ?? model.metrics ?? {};
    const parts = [`Model ${model.name} ${model.version}`];
    if (Array.isArray(model.labels)) parts.push(`labels: ${model.labels.join(", ")}`);
    if (typeof test.accuracy === "number") parts.push(`test accuracy ${percent(test.accuracy)}`);
    if (typeof test.macro_f1 === "number") parts.push(`macro-F1 ${test.macro_f1.toFixed(3)}`);
    const reviews = model.metrics?.uci_sentences?.accuracy;
    if (typeof reviews === "number") parts.push(`UCI reviews ${percent(reviews)}`);
    line.textContent = parts.join(" · ");
  } catch {
    line.textContent = "Model information is unavailable; the service may still be starting.";
  }
  updateCounter();
}

function el(tag, className, text = "") {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}

function scoreRow(label, p) {
  const row = el("li", "");
  row.dataset.label = label;
  const track = el("span", "track");
  const fill = track.appendChild(el("span", "fill"));
  fill.style.width = percent(p);
  row.append(el("span", "name", label), track, el("span", "value", percent(p)));
  return row;
}

/** The text as DOM nodes, each attributed token wrapped in a coloured span. */
function highlight(text, attributions, label) {
  const chars = codePoints(text);
  const strongest = attributions.reduce((m, a) => Math.max(m, Math.abs(a.weight)), 0);
  const nodes = [];
  let pos = 0;
  for (const a of attributions) {
    if (a.start < pos || a.end > chars.length || a.end <= a.start) continue;
    if (a.start > pos) nodes.push(document.createTextNode(chars.slice(pos, a.start).join("")));
    const kind = a.weight > 0 ? "for" : a.weight < 0 ? "against" : "zero";
    const span = el("span", `tok ${kind}`, chars.slice(a.start, a.end).join(""));
    const intensity = strongest > 0 ? Math.abs(a.weight) / strongest : 0;
    span.style.setProperty("--a", intensity.toFixed(3));
    span.dataset.weight = String(a.weight);
    const effect = a.weight > 0 ? "supports" : a.weight < 0 ? "pushes against" : "does not move";
    span.title = `weight ${a.weight >= 0 ? "+" : ""}${a.weight.toFixed(4)}: ${effect} ${label}`;
    nodes.push(span);
    pos = a.end;
  }
  if (pos < chars.length) nodes.push(document.createTextNode(chars.slice(pos).join("")));
  return nodes;
}

function render(text, r) {
  $("label").textContent = r.label;
  result.dataset.label = r.label;
  $("confidence").textContent = percent(r.confidence);
  $("confidence-bar").style.width = percent(r.confidence);
  $("scores").replaceChildren(...Object.entries(r.scores).map(([l, p]) => scoreRow(l, p)));
  $("highlighted").replaceChildren(...highlight(text, r.attributions ?? [], r.label));
  const truncated = $("truncated");
  truncated.hidden = !r.truncated;
  truncated.textContent = `Only the first ${r.tokens} tokens were read; the rest did not count.`;
  $("meta").textContent = `${r.model} ${r.model_version} · request id ${r.request_id}`;
  resetFeedback(r);
  result.hidden = false;
  announce(`Result: ${r.label}, ${percent(r.confidence)} confident.`);
}

function labelButton(label) {
  const button = el("button", "", label);
  button.type = "button";
  button.dataset.label = label;
  button.addEventListener("click", () => sendFeedback(label));
  return button;
}

function setFeedbackOutcome(message, failed = false) {
  const outcome = $("feedback-outcome");
  outcome.textContent = message;
  outcome.classList.toggle("failed", failed);
}

function enableFeedback(enabled) {
  for (const button of feedbackBox.querySelectorAll("button")) button.disabled = !enabled;
}

/** Ready "Was this right?" for a new result, or hide it when the API gave no token. */
function resetFeedback(r) {
  feedback = r.feedback_token
    ? { token: r.feedback_token, predicted: r.label, busy: false, done: false }
    : null;
  feedbackBox.hidden = feedback === null;
  const others = Object.keys(r.scores).filter((label) => label !== r.label);
  feedbackLabels.replaceChildren($("feedback-which"), ...others.map(labelButton));
  feedbackLabels.hidden = true;
  feedbackNo.setAttribute("aria-expanded", "false");
  enableFeedback(true);
  setFeedbackOutcome("");
}

async function sendFeedback(label) {
  const sent = feedback;
  if (sent === null || sent.busy || sent.done) return;
  sent.busy = true;
  enableFeedback(false);
  setFeedbackOutcome("Sending…");
  let res = null;
  let body = null;
  try {
    res = await fetch("/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ feedback_token: sent.token, label }),
    });
    body = await res.json().catch(() => null);
  } catch {
    // no answer at all: nothing was counted, so the user may try again
  }
  sent.busy = false;
  if (sent !== feedback) return; // a new result replaced this one meanwhile
  if (res === null) {
    enableFeedback(true);
    setFeedbackOutcome(
      "Could not reach the sentimon server; the feedback was not sent. Try again once it is running.",
      true,
    );
    return;
  }
  // A 2xx may have been counted and a 4xx refuses this token for good; only a 5xx is worth a retry.
  sent.done = res.status < 500;
  enableFeedback(!sent.done);
  if (res.ok && body !== null) {
    setFeedbackOutcome(
      body.correct
        ? "Thanks: counted as correct."
        : `Thanks: counted as wrong; the right label was ${body.label}.`,
    );
  } else {
    setFeedbackOutcome(`Not counted: ${serverMessage(res, body)}`, true);
  }
}

/** Hide any earlier result (it no longer matches the text) and say what went wrong. */
function fail(message) {
  result.hidden = true;
  announce(""); // the alert region speaks for failures
  showError(message);
}

async function analyze() {
  if (busy) return;
  const text = input.value;
  showError("");
  if (!text.trim()) {
    fail("Type or paste some text to analyze first.");
    input.focus();
    return;
  }
  const n = codePoints(text).length;
  if (maxChars !== null && n > maxChars) {
    fail(`The text is ${n} characters; the limit is ${maxChars}. Shorten it and try again.`);
    return;
  }
  busy = true;
  submit.textContent = "Analyzing…";
  announce("Analyzing…");
  updateCounter();
  let res = null;
  let body = null;
  try {
    res = await fetch("/explain", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ text }),
    });
    body = await res.json().catch(() => null); // a proxy may answer in HTML
  } catch {
    // fetch rejects only when no answer came back at all
  } finally {
    busy = false;
    submit.textContent = "Analyze";
    updateCounter();
  }
  if (res === null) {
    fail("Could not reach the sentimon server. Check that it is running, then try again.");
  } else if (!res.ok || body === null) {
    fail(serverMessage(res, body));
  } else {
    render(text, body);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  analyze();
});
input.addEventListener("input", updateCounter);
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    analyze();
  }
});
$("feedback-yes").addEventListener("click", () => sendFeedback(feedback?.predicted));
feedbackNo.addEventListener("click", () => {
  const open = feedbackLabels.hidden;
  feedbackLabels.hidden = !open;
  feedbackNo.setAttribute("aria-expanded", String(open));
  if (open) feedbackLabels.querySelector("button")?.focus();
});
updateCounter();
loadInfo();

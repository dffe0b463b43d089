"""Reading Prometheus, Alertmanager and Grafana for the console, read-only.

Each failure becomes a SourceError that names the server's URL, so the page can say
plainly which one is unreachable instead of drawing empty charts.
"""

from __future__ import annotations

import math
import time
from typing import Any

import httpx

from sentimon.console.charts import Chart, TimeRange, series_name

MAX_SERIES = 20
"""Lines per chart; more would be unreadable (and a label gone high-cardinality)."""


class SourceError(RuntimeError):
    """A server the console reads did not answer, or answered with an error."""


async def _get_json(client: httpx.AsyncClient, what: str, base: str, path: str, **params) -> Any:
    try:
        response = await client.get(f"{base}{path}", params=params)
    except httpx.HTTPError as error:
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise SourceError(f"{what} at {base} is unreachable ({reason})") from None
    if response.status_code != 200:
        raise SourceError(
            f"{what} at {base} answered {response.status_code}: {response.text[:300]}"
        )
    try:
        return response.json()
    except ValueError:
        raise SourceError(f"{what} at {base} answered something other than JSON") from None


def _number(value: str) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None  # NaN and ±Inf draw as gaps


async def chart_data(
    client: httpx.AsyncClient,
    prometheus: str,
    chart: Chart,
    time_range: TimeRange,
    scrape_seconds: float,
    now: float | None = None,
) -> dict[str, Any]:
    """The chart's series in uPlot's shape: one x array, one values array per series."""
    step = time_range.step_seconds
    end = (int(now if now is not None else time.time()) // step) * step
    queries = chart.concrete(time_range, scrape_seconds)
    if chart.kind == "bars":
        return await _bucket_totals(client, prometheus, chart, queries[0].expr, end)
    xs = list(range(end - time_range.seconds, end + 1, step))
    index = {x: i for i, x in enumerate(xs)}
    series = []
    for query in queries:
        data = await _get_json(
            client, "Prometheus", prometheus, "/api/v1/query_range",
            query=query.expr, start=xs[0], end=end, step=step,
        )  # fmt: skip
        for result in data["data"]["result"]:
            values: list[float | None] = [None] * len(xs)
            for timestamp, value in result["values"]:
                if (i := index.get(round(float(timestamp)))) is not None:
                    values[i] = _number(value)
            series.append({"label": series_name(query.legend, result["metric"]), "values": values})
    series.sort(key=lambda s: s["label"])
    return {"id": chart.id, "kind": chart.kind, "x": xs, "series": series[:MAX_SERIES]}


async def _bucket_totals(
    client: httpx.AsyncClient, prometheus: str, chart: Chart, expr: str, at: int
) -> dict[str, Any]:
    """A cumulative histogram's totals per bucket (by `le`), turned into counts per band."""
    data = await _get_json(client, "Prometheus", prometheus, "/api/v1/query", query=expr, time=at)
    cumulative = sorted(
        (float(r["metric"]["le"]), _number(r["value"][1]) or 0.0)
        for r in data["data"]["result"]
        if "le" in r["metric"]
    )
    bounds = [le for le, _ in cumulative if math.isfinite(le)]
    counts, below = [], 0.0
    for _, total in cumulative[: len(bounds)]:
        counts.append(round(max(total - below, 0.0), 3))
        below = total
    series = [{"label": chart.queries()[0].legend, "values": counts}] if bounds else []
    return {"id": chart.id, "kind": chart.kind, "x": bounds, "series": series}


_SEVERITY_ORDER = {"critical": 0, "warning": 1}


async def alerts(client: httpx.AsyncClient, alertmanager: str) -> list[dict[str, Any]]:
    """Alertmanager's active alerts (firing, silenced or inhibited), the most severe first."""
    found = await _get_json(client, "Alertmanager", alertmanager, "/api/v2/alerts")
    listed = []
    for alert in found:
        labels, annotations = alert.get("labels", {}), alert.get("annotations", {})
        status = alert.get("status", {})
        state = status.get("state", "unknown")
        if state == "suppressed":
            state = "inhibited" if status.get("inhibitedBy") else "silenced"
        listed.append(
            {
                "name": labels.get("alertname", "?"),
                "severity": labels.get("severity", ""),
                "state": state,
                "summary": annotations.get("summary", ""),
                "starts_at": alert.get("startsAt", ""),
                "labels": {
                    k: v for k, v in sorted(labels.items()) if k not in {"alertname", "severity"}
                },
            }
        )
    listed.sort(key=lambda a: (_SEVERITY_ORDER.get(a["severity"], 2), a["name"], a["starts_at"]))
    return listed


async def grafana_is_up(client: httpx.AsyncClient, grafana: str) -> bool:
    try:
        return (await client.get(f"{grafana}/api/health")).status_code == 200
    except httpx.HTTPError:
        return False


SLOWEST = 10
"""Requests listed for a clicked point: the slowest of its minute."""
REQUEST_WINDOW_SECONDS = 60
_SERIES_DETAIL = ("model", "version", "device")  # the inference histogram's labels


async def slowest_requests(
    client: httpx.AsyncClient, prometheus: str, selector: str, at: float
) -> list[dict[str, Any]]:
    """The slowest requests whose exemplars `selector`'s buckets hold in the minute up to
    `at`, slowest first: each with its duration, request id, and series' labels."""
    data = await _get_json(
        client, "Prometheus", prometheus, "/api/v1/query_exemplars",
        query=selector, start=at - REQUEST_WINDOW_SECONDS, end=at,
    )  # fmt: skip
    found: dict[tuple[str, float], dict[str, Any]] = {}
    for series in data.get("data") or []:
        labels = series.get("seriesLabels", {})
        for exemplar in series.get("exemplars", []):
            request_id = exemplar.get("labels", {}).get("request_id")
            seconds = _number(exemplar.get("value", "NaN"))
            if request_id is None or seconds is None:
                continue
            found[(request_id, exemplar["timestamp"])] = {
                "request_id": request_id,
                "trace_id": exemplar["labels"].get("trace_id"),
                "seconds": seconds,
                "timestamp": exemplar["timestamp"],
                "status": labels.get("status"),
                "route": labels.get("handler"),
                "method": labels.get("method"),
                "detail": " ".join(f"{k}={labels[k]}" for k in _SERIES_DETAIL if k in labels),
            }
    return sorted(found.values(), key=lambda r: -r["seconds"])[:SLOWEST]

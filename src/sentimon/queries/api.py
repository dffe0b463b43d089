"""The API's headline signals, from the http_* request metrics, for any selector.

The dashboards pass their variables (`instance=~"$instance"`); the console passes a
concrete selector and replaces the window (`promql.expand`).
"""

from __future__ import annotations

from sentimon.queries.promql import quantile, rate, total

DURATION = "http_request_duration_seconds"


def request_rate(selector: str) -> str:
    """Per-series request rate (not summed), for `total(..., by=...)`."""
    return rate("http_requests_total", selector)


def requests_by_status(selector: str) -> str:
    """Requests per second per exact status code."""
    return total(request_rate(selector), by="status")


def error_ratio(selector: str) -> str:
    """Share of requests answered 5xx (HighErrorRate): 0 while requests come and none
    fails (no 5xx series exists then), no data only when nothing comes at all."""
    errors = rate("http_requests_total", f'{selector}, status=~"5.."')
    requests = total(request_rate(selector))
    return f"({total(errors)} or 0 * {requests}) / {requests}"


def latency(q: float, selector: str, by: str = "") -> str:
    """A request-duration quantile (p95: HighRequestLatency)."""
    return quantile(q, DURATION, selector, by)

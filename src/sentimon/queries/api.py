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
    """Share of requests answered 5xx (HighErrorRate)."""
    errors = rate("http_requests_total", f'{selector}, status=~"5.."')
    return f"{total(errors)} / {total(request_rate(selector))}"


def latency(q: float, selector: str, by: str = "") -> str:
    """A request-duration quantile (p95: HighRequestLatency)."""
    return quantile(q, DURATION, selector, by)

"""API: traffic, errors and latency by route, from the http_* request metrics."""

from __future__ import annotations

from grafana_foundation_sdk.builders import heatmap, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard

from sentimon.queries.promql import INSTANCE, increase, mean, rate, series, total
from sentimon_generate.dashboards import shared_panels
from sentimon_generate.dashboards.frame import row, sentimon_dashboard
from sentimon_generate.dashboards.panels import heatmap_panel, stat_panel, timeseries_panel
from sentimon_generate.dashboards.targets import EXEMPLARS_HINT, prom, prom_heatmap, quantiles
from sentimon_generate.dashboards.variables import instance_variable, query_variable

UID = "sentimon-api"

_SEL = f'{INSTANCE}, handler=~"$handler"'
_IN_PROGRESS = total(series("http_requests_inprogress", INSTANCE))
_DURATION = "http_request_duration_seconds"


def _by_route(title: str, expr: str, unit: str, *, exemplars: bool = False) -> timeseries.Panel:
    return timeseries_panel(
        title,
        [prom(expr, "{{handler}}", exemplars=exemplars)],
        unit=unit,
        description=EXEMPLARS_HINT if exemplars else "",
    )


def _answered(status: str, by: str = "") -> str:
    """Requests per second answered with a status matching `status` (a regex such as 5..)."""
    return total(rate("http_requests_total", f'{_SEL}, status=~"{status}"'), by=by)


def _errors_by_route() -> timeseries.Panel:
    return timeseries_panel(
        "Errors / s by route (4xx and 5xx)",
        [
            prom(_answered("5..", by="handler"), "5xx {{handler}}"),
            prom(_answered("4..", by="handler"), "4xx {{handler}}"),
        ],
        unit="reqps",
        description="Which route fails. 5xx are the service's failures (HighErrorRate counts "
        "them); 4xx are requests the service refused: bad input, too large, wrong type.",
    )


def _client_versus_server_errors() -> timeseries.Panel:
    return timeseries_panel(
        "4xx versus 5xx / s",
        [
            prom(_answered("4.."), "4xx (the caller's request)"),
            prom(_answered("5.."), "5xx (the service)"),
        ],
        unit="reqps",
        description="4xx rising alone: a client sends bad requests (a new client, a changed "
        "payload). 5xx: the service fails; the runbook is HighErrorRate's.",
    )


def _mean_latency() -> timeseries.Panel:
    return timeseries_panel(
        "Mean response time by route",
        [
            prom(mean(_DURATION, _SEL), "all routes"),
            prom(mean(_DURATION, _SEL, by="handler"), "{{handler}}"),
        ],
        unit="s",
        description="rate(sum) / rate(count) of http_request_duration_seconds. The mean "
        "moves with every slow request; the quantiles beside it say how many there are.",
    )


def _latency_heatmap() -> heatmap.Panel:
    return heatmap_panel(
        "Response time distribution",
        prom_heatmap(total(increase(f"{_DURATION}_bucket", _SEL), by="le"), exemplars=True),
        unit="s",
        description="Requests per duration bucket (100 µs to 10 s) over time: two bands are "
        "two kinds of request (a fast route and a slow one, or a cache and a miss). "
        + EXEMPLARS_HINT,
    )


def _request_size_quantiles() -> timeseries.Panel:
    return timeseries_panel(
        "Request body p50 / p95 / p99",
        quantiles("http_request_size_bytes", _SEL, (0.5, 0.95, 0.99)),
        unit="bytes",
        description="From the http_request_size_bytes buckets (powers of four, 64 bytes to "
        "2 MiB): a p99 far above the median is a few clients sending big batches.",
    )


def _request_size_heatmap() -> heatmap.Panel:
    return heatmap_panel(
        "Request body size distribution",
        prom_heatmap(total(increase("http_request_size_bytes_bucket", _SEL), by="le")),
        unit="bytes",
        description="Requests per body-size bucket over time: single texts sit low, batches "
        "high; a new band is a new kind of client.",
    )


def build() -> Dashboard:
    return sentimon_dashboard(
        UID,
        "sentimon / API",
        "Requests, errors and latency of the sentimon API.",
        variables=[
            instance_variable(),
            query_variable(
                "handler", "route", f"label_values(http_requests_total{{{INSTANCE}}}, handler)"
            ),
        ],
        sections=[
            row(
                "Now",
                [
                    shared_panels.requests_stat(_SEL),
                    shared_panels.error_share_stat(_SEL),
                    shared_panels.latency_stat(_SEL),
                    stat_panel(
                        "In progress",
                        prom(_IN_PROGRESS),
                        unit="short",
                        description="Requests being served now (a scrape counts itself).",
                    ),
                ],
            ),
            row(
                "Traffic",
                [
                    timeseries_panel(
                        "Requests / s by route",
                        [
                            prom(
                                total(shared_panels.request_rate(_SEL), by="handler"), "{{handler}}"
                            )
                        ],
                        unit="reqps",
                        stacked=True,
                    ),
                    shared_panels.requests_by_status(_SEL),
                ],
                [
                    shared_panels.error_share("5xx share of all requests", _SEL),
                    timeseries_panel(
                        "In-progress requests", [prom(_IN_PROGRESS, "in progress")], unit="short"
                    ),
                ],
            ),
            row(
                "Errors",
                [_errors_by_route(), _client_versus_server_errors()],
            ),
            row(
                "Latency",
                [
                    shared_panels.latency_quantiles(
                        "Latency p50 / p95 / p99", _SEL, (0.5, 0.95, 0.99), exemplars=True
                    ),
                    _by_route(
                        "p95 latency by route",
                        shared_panels.latency(0.95, _SEL, "handler"),
                        "s",
                        exemplars=True,
                    ),
                ],
                [_mean_latency(), _latency_heatmap()],
            ),
            row(
                "Payload sizes",
                [
                    _by_route(
                        "Mean request body by route",
                        mean("http_request_size_bytes", _SEL, by="handler"),
                        "bytes",
                    ),
                    _by_route(
                        "Mean response body by route",
                        mean("http_response_size_bytes", _SEL, by="handler"),
                        "bytes",
                    ),
                ],
                [_request_size_quantiles(), _request_size_heatmap()],
            ),
        ],
    )

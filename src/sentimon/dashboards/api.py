"""API: traffic, errors and latency by route, from the http_* request metrics."""

from __future__ import annotations

from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard

from sentimon.dashboards import signals
from sentimon.dashboards.layout import row, sentimon_dashboard
from sentimon.dashboards.panels import stat_panel, timeseries_panel
from sentimon.dashboards.queries import prom
from sentimon.dashboards.variables import instance_variable, query_variable
from sentimon.queries.promql import INSTANCE, mean, series, total

UID = "sentimon-api"

_SEL = f'{INSTANCE}, handler=~"$handler"'
_IN_PROGRESS = total(series("http_requests_inprogress", INSTANCE))


def _by_route(title: str, expr: str, unit: str) -> timeseries.Panel:
    return timeseries_panel(title, [prom(expr, "{{handler}}")], unit=unit)


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
                    signals.requests_stat(_SEL),
                    signals.error_share_stat(_SEL),
                    signals.latency_stat(_SEL),
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
                        [prom(total(signals.request_rate(_SEL), by="handler"), "{{handler}}")],
                        unit="reqps",
                        stacked=True,
                    ),
                    signals.requests_by_status(_SEL),
                ],
                [
                    signals.error_share("5xx share of all requests", _SEL),
                    timeseries_panel(
                        "In-progress requests", [prom(_IN_PROGRESS, "in progress")], unit="short"
                    ),
                ],
            ),
            row(
                "Latency",
                [
                    signals.latency_quantiles("Latency p50 / p95 / p99", _SEL, (0.5, 0.95, 0.99)),
                    _by_route("p95 latency by route", signals.latency(0.95, _SEL, "handler"), "s"),
                ],
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
            ),
        ],
    )

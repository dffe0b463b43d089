"""API: traffic, errors and latency by route, from prometheus-fastapi-instrumentator metrics."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from sentimon.dashboards.common import (
    BAD,
    OK,
    WARN,
    base_dashboard,
    instance_variable,
    prom,
    query_variable,
    stat_panel,
    timeseries_panel,
)

UID = "sentimon-api"

_SEL = 'instance=~"$instance", handler=~"$handler"'
_RATE = f"rate(http_requests_total{{{_SEL}}}[$__rate_interval])"
_ERRORS = f'rate(http_requests_total{{{_SEL}, status=~"5.."}}[$__rate_interval])'
ERROR_RATIO = f"sum({_ERRORS}) / sum({_RATE})"
_IN_PROGRESS = 'sum(http_requests_inprogress{instance=~"$instance"})'


def latency_quantile(q: float, by: str = "") -> str:
    """histogram_quantile over the request-duration buckets, optionally per label."""
    group = f"le, {by}" if by else "le"
    buckets = f"rate(http_request_duration_seconds_bucket{{{_SEL}}}[$__rate_interval])"
    return f"histogram_quantile({q}, sum by ({group}) ({buckets}))"


def _mean_size(metric: str) -> str:
    return (
        f"sum by (handler) (rate({metric}_sum{{{_SEL}}}[$__rate_interval]))"
        f" / sum by (handler) (rate({metric}_count{{{_SEL}}}[$__rate_interval]))"
    )


def build() -> Dashboard:
    return (
        base_dashboard(UID, "sentimon / API", "Requests, errors and latency of the sentimon API.")
        .with_variable(instance_variable())
        .with_variable(
            query_variable(
                "handler",
                "route",
                'label_values(http_requests_total{instance=~"$instance"}, handler)',
            )
        )
        .with_row(Row("Now"))
        .with_panel(stat_panel("Requests / s", prom(f"sum({_RATE})"), unit="reqps", width=6))
        .with_panel(
            stat_panel(
                "5xx share",
                prom(ERROR_RATIO),
                unit="percentunit",
                steps=((None, OK), (0.05, WARN), (0.5, BAD)),
                description="Share of requests answered 5xx; HighErrorRate fires above 50%.",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "p95 latency",
                prom(latency_quantile(0.95)),
                unit="s",
                steps=((None, OK), (0.5, WARN), (1, BAD)),
                description="HighRequestLatency fires when p95 stays above 1 s.",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "In progress",
                prom(_IN_PROGRESS),
                unit="short",
                description="Requests being served now (a scrape counts itself).",
                width=6,
            )
        )
        .with_row(Row("Traffic"))
        .with_panel(
            timeseries_panel(
                "Requests / s by route",
                [prom(f"sum by (handler) ({_RATE})", "{{handler}}")],
                unit="reqps",
                stacked=True,
            )
        )
        .with_panel(
            timeseries_panel(
                "Requests / s by status",
                [prom(f"sum by (status) ({_RATE})", "{{status}}")],
                unit="reqps",
                stacked=True,
            )
        )
        .with_panel(
            timeseries_panel(
                "5xx share of all requests",
                [prom(ERROR_RATIO, "5xx share")],
                unit="percentunit",
                max_val=1,
                steps=((None, OK), (0.5, BAD)),
                threshold_line=True,
                description="The line at 50% is the HighErrorRate threshold.",
            )
        )
        .with_panel(
            timeseries_panel(
                "In-progress requests",
                [prom(_IN_PROGRESS, "in progress")],
                unit="short",
            )
        )
        .with_row(Row("Latency"))
        .with_panel(
            timeseries_panel(
                "Latency p50 / p95 / p99",
                [
                    prom(latency_quantile(0.5), "p50", ref="A"),
                    prom(latency_quantile(0.95), "p95", ref="B"),
                    prom(latency_quantile(0.99), "p99", ref="C"),
                ],
                unit="s",
                steps=((None, OK), (1, BAD)),
                threshold_line=True,
            )
        )
        .with_panel(
            timeseries_panel(
                "p95 latency by route",
                [prom(latency_quantile(0.95, "handler"), "{{handler}}")],
                unit="s",
            )
        )
        .with_row(Row("Payload sizes"))
        .with_panel(
            timeseries_panel(
                "Mean request body by route",
                [prom(_mean_size("http_request_size_bytes"), "{{handler}}")],
                unit="bytes",
            )
        )
        .with_panel(
            timeseries_panel(
                "Mean response body by route",
                [prom(_mean_size("http_response_size_bytes"), "{{handler}}")],
                unit="bytes",
            )
        )
    )

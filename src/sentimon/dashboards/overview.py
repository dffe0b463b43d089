"""Overview: the few numbers that say whether sentimon is well, and a way to every dashboard."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from sentimon.dashboards import model
from sentimon.dashboards.common import (
    BAD,
    OK,
    READY,
    WARN,
    base_dashboard,
    dashboard_list_panel,
    instance_variable,
    prom,
    prom_table,
    stat_panel,
    table_panel,
    timeseries_panel,
)

UID = "sentimon-overview"

_RATE = 'rate(http_requests_total{instance=~"$instance"}[$__rate_interval])'
_ERROR_RATIO = (
    'sum(rate(http_requests_total{instance=~"$instance", status=~"5.."}[$__rate_interval]))'
    f" / sum({_RATE})"
)
_P95 = (
    "histogram_quantile(0.95, sum by (le) "
    '(rate(http_request_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval])))'
)
_MEAN_CONFIDENCE = (
    'sum(rate(model_confidence_sum{instance=~"$instance"}[$__rate_interval]))'
    ' / sum(rate(model_confidence_count{instance=~"$instance"}[$__rate_interval]))'
)


def build() -> Dashboard:
    return (
        base_dashboard(
            UID, "sentimon / Overview", "Is sentimon well? Start here; every dashboard is linked."
        )
        .with_variable(instance_variable())
        .with_panel(dashboard_list_panel("sentimon dashboards", height=5))
        .with_row(Row("Service"))
        .with_panel(stat_panel("Requests / s", prom(f"sum({_RATE})"), unit="reqps"))
        .with_panel(
            stat_panel(
                "5xx share",
                prom(_ERROR_RATIO),
                unit="percentunit",
                steps=((None, OK), (0.05, WARN), (0.5, BAD)),
            )
        )
        .with_panel(
            stat_panel(
                "p95 latency",
                prom(_P95),
                unit="s",
                steps=((None, OK), (0.5, WARN), (1, BAD)),
            )
        )
        .with_panel(
            stat_panel(
                "Mean confidence",
                prom(_MEAN_CONFIDENCE),
                unit="percentunit",
                steps=((None, BAD), (model.CONFIDENCE_FLOOR, OK)),
            )
        )
        .with_panel(
            stat_panel(
                "Model ready",
                prom('min(model_ready{instance=~"$instance"})'),
                unit="none",
                steps=((None, BAD), (1, OK)),
                mappings=READY,
            )
        )
        .with_panel(
            stat_panel(
                "Targets up",
                prom("sum(up) / count(up)"),
                unit="percentunit",
                steps=((None, BAD), (1, OK)),
                description="Share of Prometheus scrape targets that answer; below 100% is red.",
            )
        )
        .with_row(Row("Alerts and trends"))
        .with_panel(
            table_panel(
                "Firing alerts",
                [prom_table('ALERTS{alertstate="firing"}')],
                hide=("Time", "Value", "__name__", "alertstate"),
                no_value="nothing firing",
                description='ALERTS{alertstate="firing"} from Prometheus.',
                width=24,
                height=6,
            )
        )
        .with_panel(
            timeseries_panel(
                "Requests / s by status",
                [prom(f"sum by (status) ({_RATE})", "{{status}}")],
                unit="reqps",
                stacked=True,
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "p95 latency",
                [prom(_P95, "p95")],
                unit="s",
                steps=((None, OK), (1, BAD)),
                threshold_line=True,
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "5xx share",
                [prom(_ERROR_RATIO, "5xx share")],
                unit="percentunit",
                max_val=1,
                steps=((None, OK), (0.5, BAD)),
                threshold_line=True,
                width=8,
            )
        )
    )

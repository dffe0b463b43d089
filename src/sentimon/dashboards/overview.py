"""Overview: the few numbers that say whether sentimon is well, and a way to every dashboard."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from sentimon.dashboards import signals
from sentimon.dashboards.layout import above_rows, row, sentimon_dashboard
from sentimon.dashboards.panels import dashboard_list_panel, stat_panel, table_panel
from sentimon.dashboards.queries import prom, prom_table
from sentimon.dashboards.thresholds import ONE_NEEDED
from sentimon.dashboards.variables import instance_variable
from sentimon.queries.promql import INSTANCE

UID = "sentimon-overview"


def build() -> Dashboard:
    return sentimon_dashboard(
        UID,
        "sentimon / Overview",
        "Is sentimon well? Start here; every dashboard is linked.",
        variables=[instance_variable()],
        sections=[
            above_rows([dashboard_list_panel("sentimon dashboards", height=5)]),
            row(
                "Service",
                [
                    signals.requests_stat(INSTANCE),
                    signals.error_share_stat(INSTANCE),
                    signals.latency_stat(INSTANCE),
                    signals.mean_confidence_stat(INSTANCE),
                    signals.model_ready_stat(INSTANCE),
                    stat_panel(
                        "Targets up",
                        prom("sum(up) / count(up)"),
                        unit="percentunit",
                        steps=ONE_NEEDED,
                        description="Share of Prometheus scrape targets that answer; "
                        "below 100% is red.",
                    ),
                ],
            ),
            row(
                "Alerts and trends",
                [
                    table_panel(
                        "Firing alerts",
                        [prom_table(signals.FIRING_ALERTS)],
                        hide=("Time", "Value", "__name__", "alertstate"),
                        no_value="nothing firing",
                        description=f"{signals.FIRING_ALERTS} from Prometheus.",
                        height=6,
                    )
                ],
                [
                    signals.requests_by_status(INSTANCE),
                    signals.latency_quantiles("p95 latency", INSTANCE, (0.95,)),
                    signals.error_share("5xx share", INSTANCE),
                ],
            ),
        ],
    )

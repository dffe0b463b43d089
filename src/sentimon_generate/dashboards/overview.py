"""Overview: the few numbers that say whether sentimon is well, and a way to every dashboard."""

from __future__ import annotations

from grafana_foundation_sdk.builders import gauge
from grafana_foundation_sdk.builders.dashboard import Dashboard

from sentimon.queries import host
from sentimon.queries.promql import FIRING_ALERTS, INSTANCE, NODE_JOB, STACK_JOBS
from sentimon.queries.rule_source import alert_lines
from sentimon_generate.dashboards import shared_panels, slo
from sentimon_generate.dashboards.frame import Wide, above_rows, row, sentimon_dashboard
from sentimon_generate.dashboards.panels import (
    dashboard_list_panel,
    gauge_panel,
    stat_panel,
    table_panel,
)
from sentimon_generate.dashboards.targets import prom, prom_table
from sentimon_generate.dashboards.thresholds import ONE_NEEDED, bad_above
from sentimon_generate.dashboards.variables import instance_variable
from sentimon_generate.slo.spec import load_spec

UID = "sentimon-overview"
# Every host node_exporter reports: the overview has no host variable (Server has one).
_NODE = NODE_JOB


def _host_gauges() -> list[gauge.Panel]:
    """The worst host's CPU, memory and fullest disk, on dials marked at the host alerts."""
    lines = alert_lines()
    return [
        gauge_panel(
            "Host CPU busy",
            prom(f"max({host.cpu_busy(_NODE)})"),
            unit="percentunit",
            steps=bad_above(lines.cpu_busy, warn=lines.cpu_busy_warning),
            description=f"The busiest host; HostHighCpu warns above {lines.cpu_busy_warning:.0%}"
            f" and is critical above {lines.cpu_busy:.0%}.",
        ),
        gauge_panel(
            "Host memory used",
            prom(f"max({host.memory_used(_NODE)})"),
            unit="percentunit",
            steps=bad_above(lines.memory_used, warn=lines.memory_used_warning),
            description="The fullest host; HostHighMemory warns above"
            f" {lines.memory_used_warning:.0%} and is critical above {lines.memory_used:.0%}.",
        ),
        gauge_panel(
            "Fullest filesystem",
            prom(f"max({host.disk_used(_NODE)})"),
            unit="percentunit",
            steps=bad_above(lines.disk_used, warn=lines.disk_used_warning),
            description="The fullest real filesystem of any host; HostLowDiskSpace warns under"
            f" {1 - lines.disk_used_warning:.0%} free and is critical under"
            f" {1 - lines.disk_used:.0%}.",
        ),
    ]


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
                    shared_panels.requests_stat(INSTANCE),
                    shared_panels.error_share_stat(INSTANCE),
                    shared_panels.latency_stat(INSTANCE),
                    shared_panels.mean_confidence_stat(INSTANCE),
                    shared_panels.model_ready_stat(INSTANCE),
                    stat_panel(
                        "Targets up",
                        prom(f"sum(up{{{STACK_JOBS}}}) / count(up{{{STACK_JOBS}}})"),
                        unit="percentunit",
                        steps=ONE_NEEDED,
                        description="Share of Prometheus scrape targets that answer; "
                        "below 100% is red.",
                    ),
                ],
            ),
            row("Service level objectives", slo.overview_stats(load_spec())),
            row(
                "Alerts and trends",
                [
                    Wide(
                        table_panel(
                            "Firing alerts",
                            [prom_table(FIRING_ALERTS)],
                            hide=("Time", "Value", "__name__", "alertstate"),
                            no_value="nothing firing",
                            description=f"{FIRING_ALERTS} from Prometheus.",
                            height=6,
                        ),
                        parts=3,
                    ),
                    *_host_gauges(),
                ],
                [
                    shared_panels.requests_by_status(INSTANCE),
                    shared_panels.latency_quantiles("p95 latency", INSTANCE, (0.95,)),
                    shared_panels.error_share("5xx share", INSTANCE),
                ],
            ),
        ],
    )

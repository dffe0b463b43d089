"""Service health: is every part of the stack up, scraped, evaluating and notifying."""

from __future__ import annotations

from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQuery

from sentimon.queries.promql import FIRING_ALERTS, SENTIMON_JOB, STACK_JOBS, rate, series, total
from sentimon_generate.dashboards import shared_panels
from sentimon_generate.dashboards.frame import row, sentimon_dashboard
from sentimon_generate.dashboards.panels import stat_panel, state_timeline_panel, timeseries_panel
from sentimon_generate.dashboards.targets import prom
from sentimon_generate.dashboards.thresholds import NONE_WANTED, ONE_NEEDED, UP_DOWN, bad_above
from sentimon_generate.dashboards.variables import query_variable

UID = "sentimon-health"

_JOB = 'job=~"$job"'


def _per_target(metric: str) -> PromQuery:
    return prom(series(metric, _JOB), "{{job}} {{instance}}")


def _per_second(
    title: str, expr: str, legend: str, *, failures: bool = True, description: str = ""
) -> timeseries.Panel:
    """Events per second; where they are failures, any at all is red."""
    return timeseries_panel(
        title,
        [prom(expr, legend)],
        unit="short",
        steps=bad_above(0.001) if failures else None,
        description=description,
    )


def build() -> Dashboard:
    return sentimon_dashboard(
        UID,
        "sentimon / Service health",
        "Scrape targets, readiness, rule evaluation and alert delivery.",
        variables=[query_variable("job", "job", f"label_values(up{{{STACK_JOBS}}}, job)")],
        sections=[
            row(
                "Targets",
                [
                    stat_panel("Targets up", prom(total(series("up", _JOB))), unit="short"),
                    stat_panel(
                        "Targets down",
                        prom(f"count({series('up', _JOB)} == 0) or vector(0)"),
                        unit="short",
                        steps=NONE_WANTED,
                        description="TargetDown fires after a target is down for 1 minute.",
                    ),
                    shared_panels.model_ready_stat(SENTIMON_JOB, title="Model ready (all workers)"),
                    stat_panel(
                        "Firing alerts",
                        prom(f"count({FIRING_ALERTS}) or vector(0)"),
                        unit="short",
                        steps=NONE_WANTED,
                    ),
                ],
                [state_timeline_panel("up per target", [_per_target("up")], mappings=UP_DOWN)],
            ),
            row(
                "Scrapes",
                [
                    timeseries_panel(
                        "Scrape duration",
                        [_per_target("scrape_duration_seconds")],
                        unit="s",
                        steps=bad_above(10, warn=1),
                    ),
                    timeseries_panel(
                        "Samples per scrape", [_per_target("scrape_samples_scraped")], unit="short"
                    ),
                ],
            ),
            row(
                "Rules and notifications",
                [
                    _per_second(
                        "Prometheus rule evaluation failures / s",
                        total(rate("prometheus_rule_evaluation_failures_total"), by="rule_group"),
                        "{{rule_group}}",
                    ),
                    _per_second(
                        "Alertmanager notifications / s",
                        total(rate("alertmanager_notifications_total"), by="integration"),
                        "{{integration}}",
                        failures=False,
                    ),
                    _per_second(
                        "Alertmanager notifications failed / s",
                        total(rate("alertmanager_notifications_failed_total"), by="integration"),
                        "{{integration}}",
                        description="A receiver that cannot be reached (for example the webhook).",
                    ),
                ],
                [
                    _per_second(
                        "Notifications dropped by Prometheus / s",
                        rate("prometheus_notifications_dropped_total"),
                        "{{instance}}",
                        description="Alerts Prometheus could not hand to Alertmanager.",
                    ),
                    timeseries_panel(
                        "Alertmanagers Prometheus knows",
                        [prom("prometheus_notifications_alertmanagers_discovered", "{{instance}}")],
                        unit="short",
                        steps=ONE_NEEDED,
                    ),
                ],
            ),
        ],
    )

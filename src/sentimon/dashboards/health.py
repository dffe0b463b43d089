"""Service health: is every part of the stack up, scraped, evaluating and notifying."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from sentimon.dashboards.common import (
    BAD,
    OK,
    READY,
    UP_DOWN,
    WARN,
    base_dashboard,
    prom,
    query_variable,
    stat_panel,
    state_timeline_panel,
    timeseries_panel,
)

UID = "sentimon-health"

_JOB = 'job=~"$job"'


def build() -> Dashboard:
    return (
        base_dashboard(
            UID,
            "sentimon / Service health",
            "Scrape targets, readiness, rule evaluation and alert delivery.",
        )
        .with_variable(query_variable("job", "job", "label_values(up, job)"))
        .with_row(Row("Targets"))
        .with_panel(
            stat_panel(
                "Targets up",
                prom(f"sum(up{{{_JOB}}})"),
                unit="short",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "Targets down",
                prom(f"count(up{{{_JOB}}} == 0) or vector(0)"),
                unit="short",
                steps=((None, OK), (1, BAD)),
                description="TargetDown fires after a target is down for 1 minute.",
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "Model ready (all workers)",
                prom("min(model_ready)"),
                unit="none",
                steps=((None, BAD), (1, OK)),
                mappings=READY,
                width=6,
            )
        )
        .with_panel(
            stat_panel(
                "Firing alerts",
                prom('count(ALERTS{alertstate="firing"}) or vector(0)'),
                unit="short",
                steps=((None, OK), (1, BAD)),
                width=6,
            )
        )
        .with_panel(
            state_timeline_panel(
                "up per target",
                [prom(f"up{{{_JOB}}}", "{{job}} {{instance}}")],
                mappings=UP_DOWN,
            )
        )
        .with_row(Row("Scrapes"))
        .with_panel(
            timeseries_panel(
                "Scrape duration",
                [prom(f"scrape_duration_seconds{{{_JOB}}}", "{{job}} {{instance}}")],
                unit="s",
                steps=((None, OK), (1, WARN), (10, BAD)),
            )
        )
        .with_panel(
            timeseries_panel(
                "Samples per scrape",
                [prom(f"scrape_samples_scraped{{{_JOB}}}", "{{job}} {{instance}}")],
                unit="short",
            )
        )
        .with_row(Row("Rules and notifications"))
        .with_panel(
            timeseries_panel(
                "Prometheus rule evaluation failures / s",
                [
                    prom(
                        "sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total"
                        "[$__rate_interval]))",
                        "{{rule_group}}",
                    )
                ],
                unit="short",
                steps=((None, OK), (0.001, BAD)),
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "Alertmanager notifications / s",
                [
                    prom(
                        "sum by (integration) (rate(alertmanager_notifications_total"
                        "[$__rate_interval]))",
                        "{{integration}}",
                    )
                ],
                unit="short",
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "Alertmanager notifications failed / s",
                [
                    prom(
                        "sum by (integration) (rate(alertmanager_notifications_failed_total"
                        "[$__rate_interval]))",
                        "{{integration}}",
                    )
                ],
                unit="short",
                steps=((None, OK), (0.001, BAD)),
                description="A receiver that cannot be reached (for example the webhook).",
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "Notifications dropped by Prometheus / s",
                [
                    prom(
                        "rate(prometheus_notifications_dropped_total[$__rate_interval])",
                        "{{instance}}",
                    )
                ],
                unit="short",
                steps=((None, OK), (0.001, BAD)),
                description="Alerts Prometheus could not hand to Alertmanager.",
            )
        )
        .with_panel(
            timeseries_panel(
                "Alertmanagers Prometheus knows",
                [prom("prometheus_notifications_alertmanagers_discovered", "{{instance}}")],
                unit="short",
                steps=((None, BAD), (1, OK)),
            )
        )
    )

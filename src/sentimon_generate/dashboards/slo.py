"""SLOs: each objective, its SLI over the window, the error budget left and how fast it burns.

Every number comes from the recording rules generated from deploy/slo/slos.yml
(rules/slo.yml); the objectives and burn-rate thresholds drawn are read from the spec
when the dashboard is built, so a changed spec and `make generate` move them.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat
from grafana_foundation_sdk.builders.dashboard import Dashboard

from sentimon_generate.dashboards.frame import row, sentimon_dashboard
from sentimon_generate.dashboards.panels import stat_panel, timeseries_panel
from sentimon_generate.dashboards.targets import prom
from sentimon_generate.dashboards.thresholds import BAD, OK, WARN, bad_above, bad_below
from sentimon_generate.dashboards.variables import query_variable
from sentimon_generate.slo.spec import Slo, Spec, load_spec

UID = "sentimon-slo"
_JOB = 'job=~"$job"'
# Red once overspent, orange in the last quarter of the budget.
BUDGET_STEPS = ((None, BAD), (0, WARN), (0.25, OK))


def _series(record: str, slo: Slo, job: str = _JOB) -> str:
    selector = ", ".join(part for part in (f'slo="{slo.name}"', job) if part)
    return f"{record}{{{selector}}}"


def sli(slo: Slo, window: str, job: str = _JOB) -> str:
    """The share of good events over one recorded window."""
    return f"1 - {_series(f'sentimon:slo_errors:ratio_rate{window}', slo, job)}"


def burn_rate(slo: Slo, window: str, job: str = _JOB) -> str:
    """The error ratio over a window in units of the error budget (1: lasts the window)."""
    return (
        f"{_series(f'sentimon:slo_errors:ratio_rate{window}', slo, job)}"
        f" / on (slo) group_left () {_series('sentimon:slo_error_budget:ratio', slo, '')}"
    )


def budget_left(slo: Slo, job: str = _JOB) -> str:
    return _series("sentimon:slo_error_budget:remaining", slo, job)


def _title(slo: Slo) -> str:
    return slo.name.capitalize()


def overview_stats(spec: Spec, job: str = "") -> list[stat.Panel]:
    """Per SLO: the SLI over its window and the budget left, for the Overview."""
    panels = []
    for slo in spec.slos:
        panels.append(
            stat_panel(
                f"{_title(slo)} over {slo.window}",
                prom(sli(slo, slo.window, job)),
                unit="percentunit",
                decimals=3,
                steps=bad_below(slo.objective),
                description=f"{slo.description} Red below the objective, {slo.objective:.1%}.",
            )
        )
        panels.append(
            stat_panel(
                f"{_title(slo)} budget left",
                prom(budget_left(slo, job)),
                unit="percentunit",
                steps=BUDGET_STEPS,
                description=f"Share of the {slo.window} error budget not yet spent; below 0 "
                f"the objective is missed. {slo.alert} pages or opens a ticket on the burn.",
            )
        )
    return panels


def _slo_row(spec: Spec, slo: Slo):
    page = spec.page[0].factor(slo.window)
    windows = spec.windows()
    return row(
        f"{_title(slo)}: {slo.objective:.1%} over {slo.window}",
        [
            stat_panel(
                "Objective",
                prom(_series("sentimon:slo_objective:ratio", slo, "")),
                unit="percentunit",
                decimals=2,
                description=slo.description,
            ),
            stat_panel(
                f"SLI over {slo.window}",
                prom(sli(slo, slo.window)),
                unit="percentunit",
                decimals=3,
                steps=bad_below(slo.objective),
                description="Share of good events over the window; red below the objective.",
            ),
            stat_panel(
                "Error budget remaining",
                prom(budget_left(slo)),
                unit="percentunit",
                steps=BUDGET_STEPS,
                description="1 - the window's error ratio / (1 - objective); below 0: overspent.",
            ),
            stat_panel(
                "Burn rate (1h)",
                prom(burn_rate(slo, "1h")),
                unit="short",
                decimals=1,
                steps=bad_above(page, warn=1),
                description=f"1: the budget lasts the {slo.window}. {slo.alert} pages above "
                f"{page:g} over 1h (and 5m).",
            ),
        ],
        [
            timeseries_panel(
                "Burn rate per window",
                [prom(burn_rate(slo, window), window) for window in windows],
                unit="short",
                steps=bad_above(page, warn=1),
                threshold_line=True,
                description=f"Each alert window the rules record; the page's threshold "
                f"({page:g}) in red, the sustainable rate (1) in orange.",
            ),
            timeseries_panel(
                "SLI",
                [prom(sli(slo, window), window) for window in (windows[0], "1h", slo.window)],
                unit="percentunit",
                steps=bad_below(slo.objective),
                threshold_line=True,
                min_val=None,
                description="Share of good events over 5 minutes, an hour and the SLO window.",
            ),
            timeseries_panel(
                "Error budget remaining",
                [prom(budget_left(slo), "{{job}}")],
                unit="percentunit",
                steps=BUDGET_STEPS,
                threshold_line=True,
                min_val=None,
            ),
        ],
    )


def build() -> Dashboard:
    spec = load_spec()
    return sentimon_dashboard(
        UID,
        "sentimon / SLOs",
        "Service level objectives from deploy/slo/slos.yml: SLI, error budget, burn rate.",
        variables=[query_variable("job", "job", "label_values(sentimon:slo_events:rate5m, job)")],
        sections=[_slo_row(spec, slo) for slo in spec.slos],
    )

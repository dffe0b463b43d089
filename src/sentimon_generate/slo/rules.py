"""Prometheus rules for the SLO spec: SLI ratios per window, the error budget, and the
multi-window multi-burn-rate alerts of Google's SRE workbook ("Alerting on SLOs").

Per SLO (label `slo`), one series per job:

    sentimon:slo_objective:ratio             the objective, a constant
    sentimon:slo_error_budget:ratio          1 - objective, a constant
    sentimon:slo_bad_events:rate5m           bad events per second over the shortest window
    sentimon:slo_events:rate5m               all events per second over it
    sentimon:slo_errors:ratio_rate<w>        share of bad events over each alert window
    sentimon:slo_errors:ratio_rate30d        ... and over the SLO window (from the rates
                                             above: a 30-day range of raw counters every
                                             15 s would read every sample again)
    sentimon:slo_error_budget:remaining      share of the window's budget left (< 0: overspent)

The alerts live in the same group, after the records, so they read this evaluation's values.
"""

from __future__ import annotations

from sentimon_generate.slo.spec import WINDOW, BurnCondition, Slo, Spec, seconds

GROUP = "sentimon.slo"
RUNBOOK = "https://github.com/sentimon/sentimon/blob/main/docs/runbooks.md"
PAGE, TICKET = "critical", "warning"


def _number(value: float) -> str:
    return f"{value:g}"


def _sel(metric: str, slo: Slo) -> str:
    return f'{metric}{{slo="{slo.name}"}}'


def _ratio(bad: str, total: str) -> str:
    # No bad event yet may mean no series at all: that is 0, not "absent".
    return f"(\n  {bad}\n  or\n  {total} * 0\n)\n/\n{total}"


def _query(template: str, window: str) -> str:
    return template.replace(WINDOW, window)


def _records(slo: Slo, windows: list[str]) -> list[dict]:
    labels = {"slo": slo.name}
    base = windows[0]
    bad_rate, rate = f"sentimon:slo_bad_events:rate{base}", f"sentimon:slo_events:rate{base}"
    objective, budget = _number(slo.objective), _number(slo.error_budget)
    rules = [
        {"record": "sentimon:slo_objective:ratio", "expr": f"vector({objective})"},
        {"record": "sentimon:slo_error_budget:ratio", "expr": f"vector({budget})"},
        {"record": bad_rate, "expr": _query(slo.error_query, base)},
        {"record": rate, "expr": _query(slo.total_query, base)},
        {
            "record": f"sentimon:slo_errors:ratio_rate{base}",
            "expr": _ratio(_sel(bad_rate, slo), _sel(rate, slo)),
        },
    ]
    for window in windows[1:]:
        rules.append(
            {
                "record": f"sentimon:slo_errors:ratio_rate{window}",
                "expr": _ratio(_query(slo.error_query, window), _query(slo.total_query, window)),
            }
        )
    over = slo.window
    rules.append(
        {
            "record": f"sentimon:slo_errors:ratio_rate{over}",
            "expr": _ratio(
                f"sum_over_time({_sel(bad_rate, slo)}[{over}])",
                f"sum_over_time({_sel(rate, slo)}[{over}])",
            ),
        }
    )
    rules.append(
        {
            "record": "sentimon:slo_error_budget:remaining",
            "expr": (
                f"1 - {_sel(f'sentimon:slo_errors:ratio_rate{over}', slo)}\n"
                f"  / on (slo) group_left () {_sel('sentimon:slo_error_budget:ratio', slo)}"
            ),
        }
    )
    for rule in rules:
        rule["labels"] = dict(labels)
    return rules


def _burn(slo: Slo, window: str) -> str:
    """The burn rate over one window: the error ratio in units of the error budget."""
    return (
        f"{_sel(f'sentimon:slo_errors:ratio_rate{window}', slo)}\n"
        f"  / on (slo) group_left () {_sel('sentimon:slo_error_budget:ratio', slo)}"
    )


def _condition(slo: Slo, condition: BurnCondition) -> str:
    factor = _number(condition.factor(slo.window))
    return (
        f"(\n{_burn(slo, condition.long)}\n  > {factor}\n"
        f"and\n{_burn(slo, condition.short)}\n  > {factor}\n)"
    )


def _percent(share: float) -> str:
    return f"{share * 100:g}%"


def _explain(slo: Slo, conditions: tuple[BurnCondition, ...]) -> str:
    return ", or ".join(
        f"{_number(c.factor(slo.window))}x over {c.long} and {c.short}" for c in conditions
    )


def _alert(slo: Slo, severity: str, conditions: tuple[BurnCondition, ...], service: str) -> dict:
    page = severity == PAGE
    speed = "fast" if page else "steadily"
    kind = "pages" if page else "opens a ticket"
    return {
        "alert": slo.alert,
        "expr": "\nor\n".join(_condition(slo, c) for c in conditions),
        "labels": {"severity": severity, "service": service, "component": "api", "slo": slo.name},
        "annotations": {
            "summary": f"sentimon is spending its {slo.name} error budget {speed}.",
            "description": (
                f"{{{{ $labels.job }}}} spends the {slo.window} error budget of its {slo.name} "
                f'objective ({_percent(slo.objective)}) {{{{ $value | printf "%.1f" }}}} '
                f"times as fast as the objective allows, over the alert's long window "
                f"(it {kind} above {_explain(slo, conditions)})."
            ),
            "runbook_url": f"{RUNBOOK}#{slo.alert.lower()}",
        },
    }


def render_rules(spec: Spec) -> dict:
    """The rules document for ``spec``: one group, every record before the alerts."""
    windows = spec.windows()
    rules: list[dict] = []
    for slo in spec.slos:
        if seconds(slo.window) <= seconds(windows[-1]):
            raise ValueError(f"{slo.name}: its window must be longer than every alert window")
        rules.extend(_records(slo, windows))
    for slo in spec.slos:
        rules.append(_alert(slo, PAGE, spec.page, spec.service))
        rules.append(_alert(slo, TICKET, spec.ticket, spec.service))
    return {"groups": [{"name": GROUP, "rules": rules}]}


HEADER = (
    "# GENERATED from deploy/slo/slos.yml by\n"
    "#   make generate  (python -m sentimon_generate)\n"
    "# Do not edit: change the spec and regenerate (a test and `sentimon stack check`\n"
    "# fail while this file is stale). Windows, objectives and the arithmetic:\n"
    "# docs/alerts.md#service-level-objectives.\n"
)

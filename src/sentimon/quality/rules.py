"""Prometheus recording rules for the model's quality, generated from the model card.

Drift and the accuracy estimate are computed in Prometheus from histograms the service
already exports, so they cost nothing in the request path and pool every worker and
every replica (prometheus_client's multiprocess mode merges a replica's workers at
scrape; ``sum by (job, model)`` merges replicas). The card is the one source of truth:
its reference shares and calibration table are written into the rules as constants, and
a test fails when the committed file no longer matches the shipped card.

For each signal and bin (a Prometheus ``le`` bound, or a label value):

    sentimon_bin:model_drift_reference:share     the card's share, a constant
    sentimon_bin:model_drift_live:share          the live share over the window
    sentimon:model_drift:psi                     PSI per signal, only over enough predictions

and for the confidence bins:

    sentimon_bin:model_calibration:accuracy      the card's accuracy per bin, a constant
    sentimon:model_accuracy:estimated            live share x accuracy, summed
    sentimon:model_accuracy:card_test            the card's test accuracy, for reference

and from the feedback on earlier predictions (POST /feedback), over the same window:

    sentimon:model_feedback:increase_window      feedback taken, by model version
    sentimon:model_accuracy:feedback             share of it that says the model was right
    sentimon_class:model_recall:feedback         per true label, the share the model got
    sentimon:model_feedback:coverage             feedback per prediction
"""

from __future__ import annotations

from sentimon.quality.signals import (
    INF,
    PSI_FLOOR,
    Calibration,
    Signal,
    calibration,
    drift_signals,
)
from sentimon.queries.promql import SENTIMON_JOB

DEFAULT_WINDOW = "1h"
GROUP = "sentimon.model_quality"
SELECTOR = SENTIMON_JOB
_BY = "sum by (job, model)"


def _number(value: float) -> str:
    # Full precision: a reference share of 1/6074 rounded to 6 digits moves ln(p/q) by 0.3%.
    return repr(float(value))


def _predictions(window: str) -> str:
    return f"{_BY} (increase(model_confidence_count{{{SELECTOR}}}[{window}]))"


def _live_share(signal: Signal, index: int, window: str) -> str:
    """The share of the window's observations in one bin, pooled over workers and replicas."""
    total = _predictions(window)
    if signal.kind == "labels":
        label = signal.bins[index]
        count = f'{_BY} (increase({signal.metric}{{{SELECTOR}, label="{label}"}}[{window}]))'
        # A label never predicted has no series yet: it counts 0, not "absent".
        return f"({count} or {total} * 0)\n/ {total}"

    def cumulative(le: str) -> str:
        if le == INF:
            return f"{_BY} (increase({signal.metric}_count{{{SELECTOR}}}[{window}]))"
        return f'{_BY} (increase({signal.metric}_bucket{{{SELECTOR}, le="{le}"}}[{window}]))'

    upto = cumulative(signal.bins[index])
    denominator = f"{_BY} (increase({signal.metric}_count{{{SELECTOR}}}[{window}]))"
    if index == 0:
        return f"{upto}\n/ {denominator}"
    return f"({upto}\n - {cumulative(signal.bins[index - 1])})\n/ {denominator}"


def _signal_rules(signal: Signal, window: str) -> list[dict]:
    rules = []
    for i, (bin_, share) in enumerate(zip(signal.bins, signal.reference, strict=True)):
        labels = {"signal": signal.name, "bin": bin_}
        rules.append(
            {
                "record": "sentimon_bin:model_drift_reference:share",
                "expr": f"vector({_number(share)})",
                "labels": labels,
            }
        )
        rules.append(
            {
                "record": "sentimon_bin:model_drift_live:share",
                "expr": _live_share(signal, i, window),
                "labels": labels,
            }
        )
    return rules


def _psi_rule() -> dict:
    floor = _number(PSI_FLOOR)
    live = f"clamp_min(sentimon_bin:model_drift_live:share{{{SELECTOR}}}, {floor})"
    ref = (
        "on (signal, bin) group_left ()\n"
        f"    clamp_min(sentimon_bin:model_drift_reference:share, {floor})"
    )
    return {
        "record": "sentimon:model_drift:psi",
        "expr": (
            f"sum by (job, model, signal) (\n"
            f"  ({live}\n   - {ref})\n"
            f"  * ln({live}\n   / {ref})\n"
            f")\n"
            f"and on (job, model)\n"
            f"  sentimon:model_predictions:increase_window\n"
            f"    >= on () group_left () sentimon:threshold:drift_min_predictions"
        ),
    }


def _calibration_rules(table: Calibration, card: dict) -> list[dict]:
    rules = [
        {
            "record": "sentimon_bin:model_calibration:accuracy",
            "expr": f"vector({_number(accuracy)})",
            "labels": {"bin": bin_},
        }
        for bin_, accuracy in zip(table.bins, table.accuracy, strict=True)
    ]
    rules.append(
        {
            "record": "sentimon:model_accuracy:estimated",
            "expr": (
                "sum by (job, model) (\n"
                '  sentimon_bin:model_drift_live:share{signal="confidence"}\n'
                "  * on (bin) group_left () sentimon_bin:model_calibration:accuracy\n"
                ")\n"
                "and on (job, model)\n"
                "  sentimon:model_predictions:increase_window\n"
                "    >= on () group_left () sentimon:threshold:drift_min_predictions"
            ),
        }
    )
    rules.append(
        {
            "record": "sentimon:model_accuracy:card_test",
            "expr": f"vector({_number(table.test_accuracy)})",
            "labels": {"model": card["name"], "version": card["version"]},
        }
    )
    return rules


def _feedback_rules(window: str) -> list[dict]:
    """Real accuracy from feedback. Not guarded here: the dashboard shows it beside the
    feedback count, and the alert asks for enough feedback itself."""

    def taken(by: str, correct: bool = False) -> str:
        selector = SELECTOR + (', correct="true"' if correct else "")
        return f"sum by ({by}) (increase(model_feedback_total{{{selector}}}[{window}]))"

    version, recall = "job, model, version", "job, model, version, true_label"
    return [
        {"record": "sentimon:model_feedback:increase_window", "expr": taken(version)},
        {
            "record": "sentimon:model_accuracy:feedback",
            # No right answer at all has no series: it counts 0, not "absent".
            "expr": (
                f"({taken(version, correct=True)}\n or {taken(version)} * 0)\n"
                "/ (sentimon:model_feedback:increase_window > 0)"
            ),
        },
        {
            "record": "sentimon_class:model_recall:feedback",
            "expr": (
                f"({taken(recall, correct=True)}\n or {taken(recall)} * 0)\n/ ({taken(recall)} > 0)"
            ),
        },
        {
            "record": "sentimon:model_feedback:coverage",
            "expr": (f"{taken('job, model')}\n/ (sentimon:model_predictions:increase_window > 0)"),
        },
    ]


def render_rules(card: dict, window: str = DEFAULT_WINDOW) -> dict:
    """The rules document for ``card``, drift and estimates over ``window``."""
    rules: list[dict] = [
        {"record": "sentimon:model_predictions:increase_window", "expr": _predictions(window)}
    ]
    for signal in drift_signals(card):
        rules.extend(_signal_rules(signal, window))
    rules.append(_psi_rule())
    rules.extend(_calibration_rules(calibration(card), card))
    rules.extend(_feedback_rules(window))
    return {"groups": [{"name": GROUP, "rules": rules}]}


def header(card: dict, window: str) -> str:
    return (
        "# GENERATED from models/{name}/model_card.json (version {version}) for the window\n"
        "#   --window {window}\n"
        "# Do not edit: change the card (sentimon train) and run `make generate`, or the\n"
        "# window with `sentimon quality rules --window`.\n"
        "# Drift (PSI) of the live traffic over the last {window} against the card's reference\n"
        "# distributions, and accuracy estimated from live confidence and the card's\n"
        "# calibration table; real accuracy from feedback. See docs/model-monitoring.md.\n"
    ).format(name=card["name"], version=card["version"], window=window)

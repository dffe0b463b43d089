"""The model-quality signals, computed from the model card: which distributions drift is
measured on, their bins and reference shares, and the calibration table that turns live
confidence into an accuracy estimate.

The Prometheus rules (rules.py) compute the same things in PromQL; the numpy functions
here are their reference, used by the tests and by the re-baseline command.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from prometheus_client.utils import floatToGoString

# Shares below this are taken as this, so an empty bin on either side gives a finite PSI
# (the usual guard; Evidently and NannyML clip the same way).
PSI_FLOOR = 1e-4
# Calibration bins with fewer test predictions than this use their mid-point instead of
# the accuracy observed in them: a handful of texts is no estimate.
MIN_CALIBRATION_COUNT = 20
INF = "+Inf"


@dataclass(frozen=True)
class Signal:
    """One distribution that drift is measured on.

    ``metric`` is the Prometheus family; for histograms the bins are upper bounds
    (Prometheus ``le``), for the label mix they are label values.
    """

    name: str
    metric: str
    kind: str  # "histogram" or "labels"
    bins: tuple[str, ...]  # le values ("0.05", ..., "+Inf") or label values
    reference: tuple[float, ...]  # share of the reference in each bin, summing to 1
    what: str


def le_label(bound: float) -> str:
    """A bound as prometheus_client writes it in ``le``: 1 -> "1.0", 0.05 -> "0.05"."""
    return floatToGoString(bound)


def _histogram_signal(
    name: str, metric: str, histogram: dict, what: str, *, open_ended: bool = False
) -> Signal:
    """``open_ended``: values can pass the last bound (token counts; not probabilities)."""
    counts = list(histogram["counts"])
    bins = [le_label(b) for b in histogram["upper_bounds"]]
    if open_ended:
        counts.append(histogram.get("count_above", 0))
        bins.append(INF)
    total = sum(counts)
    if total <= 0:
        raise ValueError(f"the card's {name} histogram is empty")
    return Signal(name, metric, "histogram", tuple(bins), tuple(c / total for c in counts), what)


def drift_signals(card: dict) -> list[Signal]:
    """Every reference distribution the card holds, as a drift signal."""
    ref = card["reference_distributions"]
    mix = ref["predicted_label_mix"]
    labels = list(card["labels"])
    return [
        Signal(
            "predicted_label",
            "model_predictions_total",
            "labels",
            tuple(labels),
            tuple(float(mix[label]) for label in labels),
            "share of predictions per label",
        ),
        _histogram_signal(
            "confidence", "model_confidence", ref["confidence_histogram"], "top-class probability"
        ),
        _histogram_signal(
            "input_tokens",
            "model_input_tokens",
            ref["input_tokens_histogram"],
            "tokens per input before truncation",
            open_ended=True,
        ),
        _histogram_signal(
            "unknown_token_ratio",
            "model_unknown_token_ratio",
            ref["unknown_token_ratio_histogram"],
            "share of an input's kept tokens outside the vocabulary",
        ),
    ]


def psi(live: np.ndarray, reference: np.ndarray, floor: float = PSI_FLOOR) -> float:
    """Population stability index of live counts (or shares) against reference shares:
    sum over bins of (live - ref) * ln(live / ref), each share floored at ``floor``."""
    live = np.asarray(live, dtype=np.float64)
    total = live.sum()
    if total <= 0:
        return float("nan")
    p = np.maximum(live / total, floor)
    q = np.maximum(np.asarray(reference, dtype=np.float64), floor)
    return float(np.sum((p - q) * np.log(p / q)))


@dataclass(frozen=True)
class Calibration:
    """Per confidence bin (upper bounds as ``le``), the accuracy expected of a prediction in it."""

    bins: tuple[str, ...]
    accuracy: tuple[float, ...]
    test_accuracy: float


def calibration(card: dict) -> Calibration:
    """The card's reliability table as expected accuracy per bin; thin bins use mid-points."""
    table = card["metrics"]["calibration"]["reliability"]
    accuracy, lower = [], 0.0
    for row in table:
        upper = float(row["upper_bound"])
        if row["count"] >= MIN_CALIBRATION_COUNT and row["accuracy"] is not None:
            accuracy.append(float(row["accuracy"]))
        else:
            accuracy.append((lower + upper) / 2)
        lower = upper
    return Calibration(
        tuple(le_label(row["upper_bound"]) for row in table),
        tuple(accuracy),
        float(card["metrics"]["test"]["accuracy"]),
    )


def estimated_accuracy(live_counts: np.ndarray, table: Calibration) -> float:
    """Expected share of right answers: live share per confidence bin times its accuracy."""
    live = np.asarray(live_counts, dtype=np.float64)
    total = live.sum()
    if total <= 0:
        return float("nan")
    return float(np.dot(live / total, np.asarray(table.accuracy)))

"""Classification metrics and calibration in plain numpy (the train extra has no scikit-learn)."""

from __future__ import annotations

import numpy as np

ECE_BINS = 15


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts with rows = true class, columns = predicted class."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true), np.asarray(pred)), 1)
    return matrix


def per_class_scores(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support per class; 0 where a ratio is undefined."""
    tp = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def macro_f1(true: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """Unweighted mean of the per-class F1 scores."""
    return float(per_class_scores(confusion_matrix(true, pred, n_classes))["f1"].mean())


def expected_calibration_error(probs: np.ndarray, true: np.ndarray, bins: int = ECE_BINS) -> float:
    """Top-label ECE: |accuracy - mean confidence| per equal-width bin (lo, hi], size-weighted."""
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == true).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        in_bin = which == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def reliability_table(probs: np.ndarray, true: np.ndarray, upper_bounds: list[float]) -> list[dict]:
    """Per confidence bucket (Prometheus ``le`` semantics: ``(previous bound, bound]``), how
    many predictions fell in it, their mean confidence and the share that was right.

    The buckets are those of the service's ``model_confidence`` histogram, so live
    bucket counts times this table's accuracies estimate live accuracy without labels.
    """
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == true
    which = np.searchsorted(np.asarray(upper_bounds, dtype=np.float64), confidence, side="left")
    rows = []
    for i, bound in enumerate(upper_bounds):
        in_bin = which == i
        n = int(in_bin.sum())
        rows.append(
            {
                "upper_bound": bound,
                "count": n,
                "accuracy": float(correct[in_bin].mean()) if n else None,
                "mean_confidence": float(confidence[in_bin].mean()) if n else None,
            }
        )
    return rows


def calibration_report(probs: np.ndarray, true: np.ndarray, upper_bounds: list[float]) -> dict:
    """ECE and the reliability table over ``upper_bounds`` (the service's confidence buckets)."""
    return {
        "expected_calibration_error": expected_calibration_error(probs, true),
        "expected_calibration_error_bins": ECE_BINS,
        "reliability": reliability_table(probs, true, upper_bounds),
        "reliability_buckets": "the model_confidence histogram's: (previous bound, bound]",
    }


def per_class_report(scores: dict[str, np.ndarray], labels: list[str]) -> dict:
    """``per_class_scores`` as the model card records them, keyed by label."""
    return {
        label: {
            "precision": float(scores["precision"][i]),
            "recall": float(scores["recall"][i]),
            "f1": float(scores["f1"][i]),
            "support": int(scores["support"][i]),
        }
        for i, label in enumerate(labels)
    }


def classification_report(probs: np.ndarray, true: np.ndarray, labels: list[str]) -> dict:
    """Everything the model card records about a labelled evaluation set."""
    pred = probs.argmax(axis=1)
    matrix = confusion_matrix(true, pred, len(labels))
    scores = per_class_scores(matrix)
    return {
        "examples": len(true),
        "accuracy": float((pred == true).mean()),
        "macro_f1": float(scores["f1"].mean()),
        "per_class": per_class_report(scores, labels),
        "confusion_matrix": {
            "labels": list(labels),
            "rows": "true",
            "columns": "predicted",
            "matrix": matrix.tolist(),
        },
        "expected_calibration_error": expected_calibration_error(probs, true),
        "expected_calibration_error_bins": ECE_BINS,
    }

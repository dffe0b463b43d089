"""Reference distributions of the model's inputs and outputs, for drift checks in production.

Each histogram uses Prometheus bucket semantics so it compares directly with the
service's ``model_*`` histograms: ``counts[i]`` is the number of values ``x`` with
``upper_bounds[i-1] < x <= upper_bounds[i]`` (the first bucket takes everything up
to its bound), and ``count_above`` the values above the last bound.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sentimon.model.tokenizer import Vocabulary

CONFIDENCE_BOUNDS = [round(0.05 * i, 2) for i in range(1, 21)]
UNKNOWN_RATIO_BOUNDS = CONFIDENCE_BOUNDS
INPUT_TOKEN_BOUNDS = [1, 2, 4, 8, 16, 32, 64, 128, 256]


def histogram(values: Sequence[float] | np.ndarray, upper_bounds: Sequence[float]) -> dict:
    """Per-bucket counts of values under Prometheus ``le`` semantics."""
    bounds = np.asarray(upper_bounds, dtype=np.float64)
    which = np.searchsorted(bounds, np.asarray(values, dtype=np.float64), side="left")
    counts = np.bincount(which, minlength=len(bounds) + 1)
    return {
        "upper_bounds": list(upper_bounds),
        "counts": counts[: len(bounds)].astype(int).tolist(),
        "count_above": int(counts[len(bounds)]),
        "total": len(which),
    }


def reference_distributions(
    texts: Sequence[str],
    probs: np.ndarray,
    vocabulary: Vocabulary,
    labels: list[str],
    computed_on: str = "test split",
) -> dict:
    """Predicted label mix, confidence, input length and unknown-token share on ``texts``."""
    encoded = [vocabulary.encode(t) for t in texts]
    predicted = np.bincount(probs.argmax(axis=1), minlength=len(labels))
    return {
        "computed_on": computed_on,
        "examples": len(texts),
        "predicted_label_mix": {
            label: float(predicted[i] / len(texts)) for i, label in enumerate(labels)
        },
        "confidence_histogram": histogram(probs.max(axis=1), CONFIDENCE_BOUNDS),
        "input_tokens_histogram": {
            **histogram([e.total_tokens for e in encoded], INPUT_TOKEN_BOUNDS),
            "measure": "tokens in the text before truncation to the model window",
        },
        "unknown_token_ratio_histogram": {
            **histogram([e.unknown / len(e.ids) for e in encoded], UNKNOWN_RATIO_BOUNDS),
            "measure": "share of the kept token ids that are <unk>",
        },
    }

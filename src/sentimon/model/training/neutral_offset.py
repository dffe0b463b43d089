"""Where the line between "neutral" and "has a sentiment" falls, set on validation.

The balanced class weights count every training row, and WordNet's plain statements
are twelve thousand rows of one label: they make neutral the commonest class, so the
weights lean the trained network away from it, and tweets that state a fact come out
negative. Weighting without them moves the positive/negative balance too (it cost the
UCI review sentences with a negation four points); one offset on the neutral logit, the
value that scores best on the pooled validation split, moves only that line. It is
added to the output layer's neutral bias, so the graph and its cost are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from sentimon.model.training.metrics import macro_f1
from sentimon.model.training.network import BiLSTMClassifier

NEUTRAL = "neutral"
SEARCH = np.round(np.arange(-1.0, 1.0001, 0.05), 2)  # logit units; ties go to the smallest


@dataclass(frozen=True)
class Offset:
    value: float
    report: dict


def fit(log_probs: np.ndarray, labels: np.ndarray, neutral: int) -> Offset:
    """The neutral logit offset from ``SEARCH`` with the best validation macro-F1."""
    n_classes = log_probs.shape[1]
    scores = []
    for value in SEARCH:
        shifted = log_probs.copy()
        shifted[:, neutral] += value
        scores.append(macro_f1(labels, shifted.argmax(axis=1), n_classes))
    scores = np.asarray(scores)
    best = scores.max()
    # Of the offsets that score best, the one that moves the trained network least.
    value = float(min(SEARCH[scores == best], key=abs))
    return Offset(
        value,
        {
            "value": value,
            "searched": f"{SEARCH[0]:+.2f} to {SEARCH[-1]:+.2f} in steps of 0.05",
            "chosen_on": "pooled validation macro-F1",
            "validation_macro_f1_before": round(float(scores[SEARCH == 0.0][0]), 4),
            "validation_macro_f1_after": round(float(best), 4),
        },
    )


def apply(model: BiLSTMClassifier, neutral: int, value: float) -> None:
    """Add ``value`` to the neutral logit: a softmax input shift, so probabilities move too."""
    with torch.no_grad():
        model.head.bias[neutral] += value

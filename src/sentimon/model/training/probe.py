"""Plain one-line reviews from outside the training domain, never trained on.

Tweets about airlines and phones teach words like "wonderful" only in passing;
these sentences check that the model still reads plain sentiment in movie,
restaurant, product and hotel reviews.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np

PROBE_FILE = "probe_sentences.csv"


def load_probe() -> list[tuple[str, str]]:
    """The probe sentences as (text, expected label) pairs."""
    raw = resources.files(__package__).joinpath(PROBE_FILE).read_text(encoding="utf-8")
    return [(row["text"], row["label"]) for row in csv.DictReader(io.StringIO(raw))]


def probe_report(probe: list[tuple[str, str]], probs: np.ndarray, labels: list[str]) -> dict:
    """Accuracy on the probe and every sentence the model got wrong."""
    predicted = [labels[i] for i in probs.argmax(axis=1)]
    wrong = [
        {"text": text, "expected": expected, "predicted": got, "confidence": float(p.max())}
        for (text, expected), got, p in zip(probe, predicted, probs, strict=True)
        if got != expected
    ]
    return {
        "description": "plain one-line positive and negative reviews (movies, restaurants, "
        "products, hotels) written for this check; never trained on",
        "n": len(probe),
        "accuracy": 1.0 - len(wrong) / len(probe),
        "misclassified": wrong,
    }


def probe_applies(probe: list[tuple[str, str]], labels: list[str]) -> bool:
    """The probe only makes sense for a model whose labels include the probe's."""
    return {expected for _, expected in probe} <= set(labels)

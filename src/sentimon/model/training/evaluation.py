"""Held-out benchmarks beyond the test splits: the UCI review sentences, negations among them.

The UCI sentences are labelled positive or negative only, so a three-class model is
scored on them the way such benchmarks score one: a sentence counts as positive when
the model gives "positive" more probability than "negative", whatever "neutral" got.
"""

from __future__ import annotations

import re

import numpy as np

# VADER's NEGATE list (vaderSentiment.py), plus "no" and any "n't" contraction: a sentence
# holding one of these is "a sentence with a negation" in the model card.
_NEGATE = (
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "dont", "hadnt",
    "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither", "neednt", "never", "none",
    "nope", "nor", "not", "nothing", "nowhere", "oughtnt", "shant", "shouldnt", "uhuh", "wasnt",
    "werent", "without", "wont", "wouldnt", "rarely", "seldom", "despite", "no",
)  # fmt: skip
NEGATION_RE = re.compile(
    r"\b(?:" + "|".join(_NEGATE) + r")\b|n['\u2019]t\b|\bcan['\u2019]t\b", re.IGNORECASE
)


def has_negation(text: str) -> bool:
    return NEGATION_RE.search(text) is not None


def polarity_predictions(probs: np.ndarray, labels: list[str]) -> np.ndarray:
    """ "positive" or "negative" per row: whichever of the two the model rates higher."""
    positive, negative = labels.index("positive"), labels.index("negative")
    return np.where(probs[:, positive] > probs[:, negative], "positive", "negative")


def _accuracy(predicted: np.ndarray, gold: np.ndarray) -> dict:
    n = len(gold)
    return {"n": n, "accuracy": float((predicted == gold).mean()) if n else None}


def polarity_report(
    sentences: dict[str, list[tuple[str, str]]], probs: np.ndarray, labels: list[str]
) -> dict:
    """Positive/negative accuracy on every part together, per part, and on the sentences
    with a negation. ``probs`` rows follow the parts' sentences in order."""
    texts = [text for part in sentences.values() for text, _ in part]
    gold = np.asarray([label for part in sentences.values() for _, label in part])
    predicted = polarity_predictions(probs, labels)
    negated = np.fromiter((has_negation(t) for t in texts), dtype=bool, count=len(texts))
    per_part, start = {}, 0
    for name, part in sentences.items():
        end = start + len(part)
        per_part[name] = _accuracy(predicted[start:end], gold[start:end])
        start = end
    wrong_negated = [
        {"text": t, "expected": g, "predicted": p}
        for t, g, p, n in zip(texts, gold, predicted, negated, strict=True)
        if n and g != p
    ]
    return {
        **_accuracy(predicted, gold),
        "per_part": per_part,
        "with_negation": {
            **_accuracy(predicted[negated], gold[negated]),
            "definition": "sentences holding a word of VADER's negation list, 'no' or an n't",
            "examples_wrong": wrong_negated[:10],
        },
        "neutral_argmax_share": float((probs.argmax(axis=1) == labels.index("neutral")).mean())
        if "neutral" in labels
        else None,
        "scoring": "positive when p(positive) > p(negative), whatever p(neutral) is",
    }

"""The texts the traffic generator sends, shipped as package data in traffic/corpus/."""

from __future__ import annotations

from functools import cache
from importlib import resources

SENTIMENTS = ("positive", "negative", "neutral")


@cache
def load_texts(name: str) -> tuple[str, ...]:
    """The texts of corpus/<name>.txt: one per line, blank and '#' lines skipped."""
    source = resources.files("sentimon.traffic").joinpath("corpus", f"{name}.txt")
    lines = (line.strip() for line in source.read_text(encoding="utf-8").splitlines())
    texts = tuple(line for line in lines if line and not line.startswith("#"))
    if not texts:
        raise ValueError(f"traffic corpus {name!r} is empty")
    return texts


def normal_texts() -> tuple[str, ...]:
    """Everyday feedback; the mix of sentiments is the mix of line counts in the files."""
    return tuple(text for sentiment in SENTIMENTS for text in load_texts(sentiment))


def low_confidence_texts() -> tuple[str, ...]:
    """Ambiguous and out-of-domain texts the shipped model gives low confidence."""
    return load_texts("low_confidence")


def drift_sentences() -> tuple[str, ...]:
    """Out-of-domain sentences, joined several at a time by the drift scenario."""
    return load_texts("drift")

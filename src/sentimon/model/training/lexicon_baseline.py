"""VADER's rules as the baseline a trained model has to beat on everyday text.

VADER (Hutto & Gilbert, ICWSM 2014) is the rule-based analyser most people reach for
first. Its README's thresholds turn the compound score into three classes: positive at
+0.05 or above, negative at -0.05 or below, neutral between.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05


class BaselineUnavailable(RuntimeError):
    """vaderSentiment is not installed (it comes with the dev and train extras)."""


@cache
def _analyzer():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as exc:
        raise BaselineUnavailable(
            "VADER's rules need the vadersentiment package: pip install vadersentiment==3.3.2"
        ) from exc
    return SentimentIntensityAnalyzer()


def vader_labels(texts: Sequence[str]) -> list[str]:
    """negative, neutral or positive per text, by VADER's compound score."""
    analyzer = _analyzer()
    labels = []
    for text in texts:
        compound = analyzer.polarity_scores(text)["compound"]
        if compound >= POSITIVE_AT:
            labels.append("positive")
        elif compound <= NEGATIVE_AT:
            labels.append("negative")
        else:
            labels.append("neutral")
    return labels


DESCRIPTION = (
    f"VADER's rules (vadersentiment 3.3.2): compound >= {POSITIVE_AT} positive, "
    f"<= {NEGATIVE_AT} negative, neutral between"
)

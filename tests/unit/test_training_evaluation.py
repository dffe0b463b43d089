"""The UCI benchmark's scoring: positive vs negative whatever "neutral" got, and negations."""

from __future__ import annotations

import numpy as np
import pytest

from sentimon.model.training.evaluation import (
    has_negation,
    polarity_predictions,
    polarity_report,
)

LABELS = ["negative", "neutral", "positive"]


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("I don't like it", True),
        ("I don\u2019t like it", True),  # curly apostrophe
        ("not bad", True),
        ("NOT bad", True),
        ("No way", True),
        ("I can't", True),
        ("I can\u2019t", True),
        ("I cannot", True),
        ("It isn't", True),
        ("nothing", True),
        ("none of it", True),
        ("I dont care", True),  # VADER's apostrophe-less forms
        ("never again", True),
        ("without sugar", True),
        ("It's great", False),
        ("notable", False),  # "not" only as a whole word
        ("knot", False),
        ("Nobody", False),  # VADER's list has "none" and "nothing", not "nobody"
        ("nowhere to be found", True),
        ("I like it.", False),
        ("", False),
    ],
)
def test_has_negation(text, negated):
    assert has_negation(text) is negated


def test_polarity_predictions_ignore_neutral():
    probs = np.array(
        [
            [0.2, 0.5, 0.3],  # neutral is the argmax, but positive beats negative
            [0.3, 0.6, 0.1],
            [0.1, 0.1, 0.8],
            [0.7, 0.2, 0.1],
        ]
    )
    assert polarity_predictions(probs, LABELS).tolist() == [
        "positive",
        "negative",
        "positive",
        "negative",
    ]


def test_polarity_predictions_follow_the_label_order():
    probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    assert polarity_predictions(probs, ["positive", "negative"]).tolist() == [
        "positive",
        "negative",
    ]


SENTENCES = {
    "amazon": [
        ("Great phone.", "positive"),
        ("Not good.", "negative"),
        ("Broke in a day.", "negative"),
    ],
    "yelp": [
        ("I don't like it.", "negative"),
        ("Lovely place.", "positive"),
    ],
}
PROBS = np.array(
    [
        [0.1, 0.2, 0.7],  # positive: right
        [0.2, 0.5, 0.3],  # positive: wrong (a negation)
        [0.3, 0.6, 0.1],  # negative: right, neutral is the argmax
        [0.8, 0.1, 0.1],  # negative: right (a negation)
        [0.5, 0.1, 0.4],  # negative: wrong
    ]
)


def test_polarity_report_overall_and_per_part():
    report = polarity_report(SENTENCES, PROBS, LABELS)
    assert report["n"] == 5
    assert report["accuracy"] == pytest.approx(3 / 5)
    assert report["per_part"] == {
        "amazon": {"n": 3, "accuracy": pytest.approx(2 / 3)},
        "yelp": {"n": 2, "accuracy": pytest.approx(1 / 2)},
    }


def test_polarity_report_on_sentences_with_a_negation():
    negation = polarity_report(SENTENCES, PROBS, LABELS)["with_negation"]
    assert negation["n"] == 2
    assert negation["accuracy"] == pytest.approx(1 / 2)
    assert negation["examples_wrong"] == [
        {"text": "Not good.", "expected": "negative", "predicted": "positive"}
    ]


def test_polarity_report_neutral_share_and_scoring():
    report = polarity_report(SENTENCES, PROBS, LABELS)
    assert report["neutral_argmax_share"] == pytest.approx(2 / 5)
    assert "whatever p(neutral) is" in report["scoring"]


def test_polarity_report_without_negations_or_neutral():
    sentences = {"imdb": [("Fine.", "positive"), ("Dull.", "negative")]}
    report = polarity_report(
        sentences, np.array([[0.4, 0.6], [0.7, 0.3]]), ["negative", "positive"]
    )
    assert report["accuracy"] == 1.0
    assert report["with_negation"]["n"] == 0
    assert report["with_negation"]["accuracy"] is None
    assert report["with_negation"]["examples_wrong"] == []
    assert report["neutral_argmax_share"] is None


def test_polarity_report_an_empty_part_has_no_accuracy():
    sentences = {"amazon": [("Great.", "positive")], "imdb": []}
    report = polarity_report(sentences, np.array([[0.1, 0.1, 0.8]]), LABELS)
    assert report["per_part"]["imdb"] == {"n": 0, "accuracy": None}
    assert report["per_part"]["amazon"] == {"n": 1, "accuracy": 1.0}


def test_polarity_report_lists_at_most_ten_wrong_negations():
    sentences = {"yelp": [(f"Not good {i}.", "negative") for i in range(12)]}
    probs = np.tile([0.1, 0.1, 0.8], (12, 1))
    negation = polarity_report(sentences, probs, LABELS)["with_negation"]
    assert negation["n"] == 12
    assert negation["accuracy"] == 0.0
    assert len(negation["examples_wrong"]) == 10

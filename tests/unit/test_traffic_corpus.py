"""The shipped texts, scored by the shipped model: each pool does to the metrics what it says."""

from __future__ import annotations

import random
import statistics

import pytest

from sentimon.model.artifact import default_model_dir
from sentimon.model.runtime import Predictor
from sentimon.traffic.corpus import SENTIMENTS, load_texts, low_confidence_texts, normal_texts
from sentimon.traffic.scenarios import build_scenario

# deploy/prometheus/rules/thresholds.yml: LowModelConfidence fires below this mean.
ALERT_MEAN_CONFIDENCE = 0.6


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load(default_model_dir(), threads=1, device="cpu")


def _mean_confidence(predictor: Predictor, texts) -> float:
    return statistics.mean(p.confidence for p in predictor.predict_batch(list(texts)))


def test_pools_are_sizeable_and_free_of_duplicates():
    for name, least in [*((s, 60) for s in SENTIMENTS), ("low_confidence", 100), ("drift", 40)]:
        texts = load_texts(name)
        assert len(texts) >= least, name
        assert len(set(texts)) == len(texts), name
        assert not any(t.startswith("#") for t in texts)
    assert len(normal_texts()) >= 250


def test_low_confidence_pool_sets_off_the_alert_with_margin(predictor):
    # The alert averages over 5 minutes, which may still hold normal traffic from before
    # the phase; 0.55 leaves room for that.
    mean = _mean_confidence(predictor, low_confidence_texts())
    assert mean <= 0.55 < ALERT_MEAN_CONFIDENCE


def test_normal_pool_keeps_the_alert_quiet(predictor):
    assert _mean_confidence(predictor, normal_texts()) > 0.65


@pytest.mark.parametrize(("sentiment", "share"), [("positive", 0.85), ("negative", 0.75)])
def test_normal_texts_carry_the_sentiment_of_their_file(predictor, sentiment, share):
    labels = [p.label for p in predictor.predict_batch(list(load_texts(sentiment)))]
    assert labels.count(sentiment) / len(labels) >= share


def test_drift_texts_are_longer_and_mostly_unknown_words(predictor):
    rng = random.Random(0)
    drift = predictor.predict_batch([build_scenario("drift").draw(rng).text for _ in range(200)])
    normal = predictor.predict_batch(list(normal_texts()))

    def unknown_ratio(predictions) -> float:
        return statistics.mean(p.unknown_tokens / p.tokens for p in predictions)

    assert statistics.mean(p.tokens for p in drift) > 4 * statistics.mean(p.tokens for p in normal)
    assert unknown_ratio(drift) > 0.25 > 4 * unknown_ratio(normal)
    assert any(p.truncated for p in drift)

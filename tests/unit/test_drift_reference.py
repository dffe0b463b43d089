"""The shipped drift reference and the traffic the project calls normal agree.

The model card's reference is computed on the pool the `normal` scenario draws from, so
an hour of default `sentimon traffic` scores under the ModelDrift threshold on every
signal, at every minute of the hour, as the rules compute it over their window; the
drift scenario still crosses it, even half diluted by the normal traffic before it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from sentimon.model.artifact import default_model_dir, load_artifact
from sentimon.model.runtime import Predictor
from sentimon.model.training.reference import reference_distributions
from sentimon.quality.signals import drift_signals, psi
from sentimon.traffic.corpus import normal_texts
from sentimon.traffic.scenarios import draw_texts

# deploy/prometheus/rules/thresholds.yml
DRIFT_PSI = 0.25
MIN_PREDICTIONS = 200
RPS = 10  # sentimon traffic's default
MINUTE = 60 * RPS


@pytest.fixture(scope="module")
def artifact():
    return load_artifact(default_model_dir())


@pytest.fixture(scope="module")
def predictor():
    return Predictor.load(default_model_dir(), threads=1, device="cpu")


@pytest.fixture(scope="module")
def signals(artifact):
    return drift_signals(artifact.card)


def _bins(predictor, artifact, signals, texts: list[str]) -> dict[str, np.ndarray]:
    """Per signal, the bin each text falls in (Prometheus `le` semantics)."""
    unique = sorted(set(texts))
    predictions = dict(zip(unique, predictor.predict_batch(unique), strict=True))
    encoded = {t: artifact.vocabulary.encode(t) for t in unique}
    values = {
        "confidence": [predictions[t].confidence for t in texts],
        "input_tokens": [encoded[t].total_tokens for t in texts],
        "unknown_token_ratio": [encoded[t].unknown / len(encoded[t].ids) for t in texts],
    }
    out = {}
    for signal in signals:
        if signal.kind == "labels":
            out[signal.name] = np.asarray([signal.bins.index(predictions[t].label) for t in texts])
            continue
        bounds = np.asarray([np.inf if b == "+Inf" else float(b) for b in signal.bins])
        out[signal.name] = np.searchsorted(bounds, np.asarray(values[signal.name]), side="left")
    return out


def _scores(bins: dict[str, np.ndarray], signals, start: int, end: int) -> dict[str, float]:
    return {
        s.name: psi(np.bincount(bins[s.name][start:end], minlength=len(s.bins)), s.reference)
        for s in signals
    }


def test_the_card_reference_is_the_shipped_model_on_the_normal_pool(predictor, artifact):
    texts = list(normal_texts())
    card = artifact.card["reference_distributions"]
    probs = np.asarray(
        [[p.scores[label] for label in artifact.labels] for p in predictor.predict_batch(texts)]
    )
    again = reference_distributions(texts, probs, artifact.vocabulary, artifact.labels)
    assert card["examples"] == len(texts)
    assert "normal traffic pool" in card["computed_on"]
    for name in ("confidence_histogram", "input_tokens_histogram", "unknown_token_ratio_histogram"):
        assert card[name]["counts"] == again[name]["counts"], name
    assert card["predicted_label_mix"] == pytest.approx(again["predicted_label_mix"], abs=1e-9)


def test_an_hour_of_default_traffic_stays_under_the_drift_threshold(predictor, artifact, signals):
    hour = draw_texts("normal", 60 * MINUTE, seed=7)
    bins = _bins(predictor, artifact, signals, hour)
    worst = Counter()
    # The window grows from the first minute with enough predictions to the whole hour;
    # a thin window scores a little from sampling alone, never near the threshold.
    for end in range(MIN_PREDICTIONS, len(hour) + 1, MINUTE):
        for name, score in _scores(bins, signals, 0, end).items():
            worst[name] = max(worst[name], score)
    assert max(worst.values()) < DRIFT_PSI * 0.6, dict(worst)
    whole = _scores(bins, signals, 0, len(hour))
    assert max(whole.values()) < 0.02, whole


def test_drift_traffic_crosses_the_threshold_even_diluted_by_as_much_normal(
    predictor, artifact, signals
):
    # Half an hour of each in the one-hour window, in proportion (drift texts are long
    # and all different, so a sample stands for them).
    window = draw_texts("normal", 1000, seed=8) + draw_texts("drift", 1000, seed=9)
    bins = _bins(predictor, artifact, signals, window)
    scores = _scores(bins, signals, 0, len(window))
    assert max(scores.values()) > 2 * DRIFT_PSI, scores

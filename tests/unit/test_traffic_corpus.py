"""The shipped texts, scored by the shipped model: each pool does to the metrics what it says."""

from __future__ import annotations

import random
import statistics
from pathlib import Path

import pytest

from sentimon.model.artifact import default_model_dir
from sentimon.model.runtime import Predictor
from sentimon.traffic.corpus import (
    LABELLED_NORMAL,
    SENTIMENTS,
    LabelledText,
    labelled_normal_texts,
    load_labelled,
    load_texts,
    low_confidence_texts,
    normal_texts,
    parse_labelled,
    world_change_texts,
)
from sentimon.traffic.scenarios import build_scenario

REPO = Path(__file__).resolve().parents[2]

# deploy/prometheus/rules/thresholds.yml: LowModelConfidence fires below this mean.
ALERT_MEAN_CONFIDENCE = 0.6
# deploy/prometheus/rules/thresholds.yml: ModelAccuracyLow fires below this share of
# feedback saying the prediction was right.
ALERT_ACCURACY = 0.6


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor.load(default_model_dir(), threads=1, device="cpu")


def _mean_confidence(predictor: Predictor, texts) -> float:
    return statistics.mean(p.confidence for p in predictor.predict_batch(list(texts)))


def _accuracy(predictor: Predictor, pool: tuple[LabelledText, ...]) -> float:
    predictions = predictor.predict_batch([item.text for item in pool])
    return statistics.mean(p.label == item.label for p, item in zip(predictions, pool, strict=True))


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


def test_drift_texts_are_longer_with_a_fifth_of_unknown_words(predictor):
    rng = random.Random(0)
    drift = predictor.predict_batch([build_scenario("drift").draw(rng).text for _ in range(200)])
    normal = predictor.predict_batch(list(normal_texts()))

    def unknown_ratio(predictions) -> float:
        return statistics.mean(p.unknown_tokens / p.tokens for p in predictions)

    # The normal pool holds reviews of up to 70 words; a drift text is several times longer.
    assert statistics.mean(p.tokens for p in drift) > 3 * statistics.mean(p.tokens for p in normal)
    assert unknown_ratio(drift) > 0.2 > 4 * unknown_ratio(normal)
    assert any(p.truncated for p in drift)


def test_normal_texts_are_labelled_by_their_file_or_their_line():
    pool = labelled_normal_texts()
    assert [item.text for item in pool] == list(normal_texts())
    short = set().union(*(load_texts(s) for s in SENTIMENTS))
    for sentiment in SENTIMENTS:
        assert {i.text for i in pool if i.label == sentiment} & short == set(load_texts(sentiment))
    for name in LABELLED_NORMAL:
        assert set(load_labelled(name)) <= set(pool)
    # Posts and reviews: the pool holds texts of every length the model is used on.
    assert len(pool) > 900 and max(len(i.text.split()) for i in pool) >= 60


def test_world_change_texts_all_carry_a_label_in_a_balanced_mix():
    pool = world_change_texts()
    assert len(pool) >= 100
    assert len({item.text for item in pool}) == len(pool)
    shares = {s: sum(item.label == s for item in pool) / len(pool) for s in SENTIMENTS}
    assert min(shares.values()) >= 0.25, shares
    assert not {item.text for item in pool} & set(normal_texts())
    assert not any(item.text.startswith("#") or "\t" in item.text for item in pool)


def test_labelled_lines_parse_and_a_bad_one_is_named():
    content = "# a comment\n\npositive\tthis slaps\nnegative\t yeah right \n"
    assert parse_labelled(content, "x") == (
        LabelledText("this slaps", "positive"),
        LabelledText("yeah right", "negative"),
    )
    for bad in ("positive this slaps", "happy\tthis slaps", "neutral\t  "):
        with pytest.raises(ValueError, match=r"x\.txt line 2: expected 'label<TAB>text'"):
            parse_labelled(f"# header\n{bad}\n", "x")


def test_the_model_gets_the_normal_pool_right_so_the_accuracy_alert_stays_quiet(predictor):
    assert _accuracy(predictor, labelled_normal_texts()) >= 0.8 > ALERT_ACCURACY


def test_the_world_changed_under_the_model_and_only_feedback_shows_it(predictor):
    pool = world_change_texts()
    assert _accuracy(predictor, pool) < 0.4 < ALERT_ACCURACY
    # Still confident: the confidence alert does not see the change.
    assert _mean_confidence(predictor, [item.text for item in pool]) > 0.65


def test_the_pools_figures_quoted_in_readme_and_traffic_doc_are_the_models(predictor):
    """README's scenario table and docs/traffic.md quote what the shipped model makes of
    each pool: re-measured here, so a new model or pool cannot leave them behind."""
    low = _mean_confidence(predictor, low_confidence_texts())
    pool = world_change_texts()
    accuracy = _accuracy(predictor, pool)
    confident = _mean_confidence(predictor, [item.text for item in pool])
    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"(mean confidence {low:.2f})" in readme
    assert f"(accuracy {accuracy:.2f}, mean confidence {confident:.2f})" in readme
    assert f"~{round(len(normal_texts()), -2):,} positive, negative and neutral texts" in readme

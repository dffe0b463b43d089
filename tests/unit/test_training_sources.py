"""Readers of the packaged corpora, on small fake archives laid out like the real ones."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tarfile

import numpy as np
import pytest

from sentimon.model.training import sources
from sentimon.model.training.sources import (
    LABELS,
    VADER_PARTS,
    rating_labels,
    uci_sentences,
    vader_lexicon,
    vader_sentences,
)

GROUND_TRUTH = {
    "tweets_GroundTruth.txt": "1\t2.726315789\tSo lucky.\r\n"
    "2\t-1.5\tAnother bad day\tat work.\r\n"
    "3\t0.1\t   \r\n"
    "\r\n"
    "4\t0\tJust a tweet.\r\n",
    "movieReviewSnippets_GroundTruth.txt": "1_1\t-2.25\tA dull, lifeless film.\r\n"
    "1_2\t3.5\tA masterpiece.\r\n",
    "amazonReviewSnippets_GroundTruth.txt": "1_19\t-0.5\tIt broke.\r\n",
    "nytEditorialSnippets_GroundTruth.txt": "1_1\t0.25\tThe council met on Tuesday.\r\n"
    "1_2\t-3\tA shameful decision.",  # no line end after the last row
}
LEXICON = (
    "$:\t-1.5\t0.80623\t[-1, -1, -1, -1, -3, -1, -3, -1, -2, -1]\r\n"
    "good\t1.9\t0.9434\t[2, 2, 1, 3, 2, 2, 2, 1, 2, 2]\r\n"
    "bad\t-2.5\t0.67082\t[-2, -3, -3, -2, -3, -3, -2, -2, -3, -2]\r\n"
    "meh\t0\t0.5\t[0, 0, 0, 0, 1, -1, 0, 0, 0, 0]\r\n"
)


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _vader_sdist(tmp_path, ground_truth=GROUND_TRUTH, lexicon=LEXICON):
    inner = _tar_gz(
        {f"hutto_ICWSM_2014/{name}": text.encode("utf-8") for name, text in ground_truth.items()}
        | {"hutto_ICWSM_2014/_README_.txt": b"not a ground-truth file\r\n"}
    )
    path = tmp_path / "vaderSentiment-3.3.2.tar.gz"
    path.write_bytes(
        _tar_gz(
            {
                "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz": inner,
                "vaderSentiment-3.3.2/vaderSentiment/vader_lexicon.txt": lexicon.encode("utf-8"),
            }
        )
    )
    return path


def _uci_package(tmp_path, parts: dict[str, list[dict]]):
    path = tmp_path / "sentiment-5.0.2.tgz"
    path.write_bytes(
        _tar_gz(
            {
                f"package/test/fixtures/{part}.json": json.dumps(rows).encode("utf-8")
                for part, rows in parts.items()
            }
            | {"package/package.json": b'{"name": "sentiment"}'}
        )
    )
    return path


def test_vader_sentences_reads_every_part_in_file_order(tmp_path):
    rows = vader_sentences(_vader_sdist(tmp_path))
    by_part = {
        part: [(r.rating, r.text) for r in rows if r.part == part] for part in VADER_PARTS.values()
    }
    assert by_part == {
        "vader-tweets": [
            (2.726315789, "So lucky."),
            (-1.5, "Another bad day\tat work."),
            (0.0, "Just a tweet."),
        ],
        "vader-movie-reviews": [(-2.25, "A dull, lifeless film."), (3.5, "A masterpiece.")],
        "vader-product-reviews": [(-0.5, "It broke.")],
        "vader-news": [(0.25, "The council met on Tuesday."), (-3.0, "A shameful decision.")],
    }
    # The parts come in VADER_PARTS' order, each part's rows in file order.
    assert [r.part for r in rows] == [
        *["vader-tweets"] * 3,
        *["vader-movie-reviews"] * 2,
        "vader-product-reviews",
        *["vader-news"] * 2,
    ]


def test_vader_text_keeps_a_tab_and_loses_the_carriage_return(tmp_path):
    rows = vader_sentences(_vader_sdist(tmp_path))
    assert "Another bad day\tat work." in [r.text for r in rows]
    assert not any("\r" in r.text or "\n" in r.text for r in rows)


def test_vader_blank_texts_and_empty_lines_are_skipped(tmp_path):
    rows = vader_sentences(_vader_sdist(tmp_path))
    assert len(rows) == 8
    assert all(r.text.strip() for r in rows)
    assert 0.1 not in [r.rating for r in rows]  # the row whose text is only spaces


def test_vader_lexicon_maps_tokens_to_their_mean_rating(tmp_path):
    assert vader_lexicon(_vader_sdist(tmp_path)) == {
        "$:": -1.5,
        "good": 1.9,
        "bad": -2.5,
        "meh": 0.0,
    }


def test_a_missing_ground_truth_file_is_an_error(tmp_path):
    partial = {k: v for k, v in GROUND_TRUTH.items() if not k.startswith("nyt")}
    with pytest.raises(KeyError, match=r"nytEditorialSnippets_GroundTruth\.txt"):
        vader_sentences(_vader_sdist(tmp_path, ground_truth=partial))


@pytest.mark.parametrize(
    ("rating", "label"),
    [
        (-4.0, "negative"),
        (-0.51, "negative"),
        (-0.5, "neutral"),  # equal to -threshold: inside the neutral band
        (-0.49, "neutral"),
        (0.0, "neutral"),
        (0.49, "neutral"),
        (0.5, "neutral"),  # equal to +threshold: inside the neutral band
        (0.51, "positive"),
        (4.0, "positive"),
    ],
)
def test_rating_labels_around_the_threshold(rating, label):
    labels = rating_labels(np.array([rating]), 0.5)
    assert LABELS[int(labels[0])] == label


def test_rating_labels_are_int64_indices_into_labels():
    labels = rating_labels(np.array([-1.0, 0.0, 1.0]), 0.5)
    assert labels.dtype == np.int64
    assert labels.tolist() == [
        LABELS.index("negative"),
        LABELS.index("neutral"),
        LABELS.index("positive"),
    ]


def test_a_zero_threshold_leaves_only_zero_neutral():
    labels = rating_labels(np.array([-0.01, 0.0, 0.01]), 0.0)
    assert [LABELS[i] for i in labels] == ["negative", "neutral", "positive"]


def test_a_negative_threshold_is_rejected():
    with pytest.raises(ValueError, match="cannot be negative"):
        rating_labels(np.array([0.0]), -0.1)


def test_rating_labels_of_no_ratings_is_empty():
    assert rating_labels(np.array([]), 0.5).tolist() == []


def test_uci_sentences_maps_classes_and_skips_unusable_rows(tmp_path):
    package = _uci_package(
        tmp_path,
        {
            "amazon": [
                {"text": "Great phone.  ", "class": 1},
                {"text": "Broke in a week.  ", "class": 0},
                {"text": "   ", "class": 1},  # blank text
                {"text": "Odd one.", "class": 2},  # not 0 or 1
                {"text": "A string class.", "class": "1"},
                {"text": "No class at all."},
                {"class": 0},  # no text
                {"text": ""},  # the real fixtures end with such a row
            ],
            "imdb": [{"text": "A fine film.", "class": 1}],
            "yelp": [{"text": "Cold food.", "class": 0}],
        },
    )
    assert uci_sentences(package) == {
        "amazon": [("Great phone.", "positive"), ("Broke in a week.", "negative")],
        "imdb": [("A fine film.", "positive")],
        "yelp": [("Cold food.", "negative")],
    }


def test_uci_sentences_needs_every_site(tmp_path):
    package = _uci_package(tmp_path, {"amazon": [], "imdb": []})
    with pytest.raises(KeyError, match="yelp"):
        uci_sentences(package)


def test_load_vader_reads_the_cached_archive(tmp_path, monkeypatch):
    sdist = _vader_sdist(tmp_path)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    pinned = dataclasses.replace(
        sources.VADER_SDIST, sha256=digest, fetch_args=("sentimon-no-such-fetch-tool",)
    )
    monkeypatch.setattr(sources, "VADER_SDIST", pinned)
    # The archive is already in the cache, so nothing is fetched.
    assert sources.load_vader(tmp_path) == vader_sentences(sdist)

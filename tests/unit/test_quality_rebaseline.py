"""Re-baselining: cumulative `le` counts read from Prometheus become the card's histogram."""

from __future__ import annotations

import pytest

from sentimon.quality.rebaseline import _histogram
from sentimon.quality.signals import psi


def test_cumulative_buckets_become_per_bin_counts_over_the_cards_bounds():
    old = {"upper_bounds": [1, 2, 4], "counts": [5, 5, 5], "count_above": 1, "total": 16,
           "measure": "tokens"}  # fmt: skip
    cumulative = {"1.0": 2.0, "2.0": 2.0, "4.0": 7.2, "+Inf": 9.0, "8.0": 8.0}
    histogram = _histogram(cumulative, old)
    assert histogram == {
        "upper_bounds": [1, 2, 4],
        "counts": [2, 0, 5],
        "count_above": 2,
        "total": 9,
        "measure": "tokens",
    }


def test_missing_buckets_count_as_empty_not_as_an_error():
    old = {"upper_bounds": [0.5, 1.0], "counts": [1, 1], "count_above": 0, "total": 2}
    assert _histogram({}, old) == {
        "upper_bounds": [0.5, 1.0],
        "counts": [0, 0],
        "count_above": 0,
        "total": 0,
    }


def test_a_reference_moved_by_nothing_scores_zero():
    assert psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == pytest.approx(0.0)

"""The files `make test` starts first exist: a renamed one would quietly start last."""

from __future__ import annotations

from suite_order import SLOWEST_FIRST, TESTS


def test_every_file_named_to_start_first_exists():
    assert [name for name in SLOWEST_FIRST if not (TESTS / name).is_file()] == []

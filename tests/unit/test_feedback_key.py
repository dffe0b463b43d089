"""The feedback key: given, or made once in a file that every worker and restart shares."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from sentimon.feedback.key import MIN_KEY_BYTES, FeedbackKeyError, load_key


def test_a_given_key_is_used_as_is_and_a_short_one_is_refused(tmp_path):
    assert load_key("s" * 64, tmp_path / "unused") == b"s" * 64
    assert not (tmp_path / "unused").exists()
    with pytest.raises(FeedbackKeyError, match="openssl rand -hex 32"):
        load_key("short", tmp_path / "unused")


def test_the_key_file_is_made_once_private_and_read_back(tmp_path):
    path = tmp_path / "state" / "feedback.key"
    key = load_key(None, path)
    assert len(key) >= MIN_KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(None, path) == key  # a restart signs with the same key
    assert [p.name for p in path.parent.iterdir()] == ["feedback.key"]  # no temp file left


def _load(path: str, queue) -> None:
    queue.put(load_key(None, Path(path)))


def test_workers_starting_together_agree_on_one_key(tmp_path):
    path = tmp_path / "feedback.key"
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_load, args=(str(path), queue)) for _ in range(6)]
    for worker in workers:
        worker.start()
    keys = {queue.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(30)
    assert keys == {path.read_text().strip().encode()}


def test_an_unusable_key_file_says_what_to_do(tmp_path):
    (tmp_path / "short.key").write_text("abc\n")
    with pytest.raises(FeedbackKeyError, match="at least 32"):
        load_key(None, tmp_path / "short.key")
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(FeedbackKeyError, match="SENTIMON_FEEDBACK_KEY"):
        load_key(None, blocked / "feedback.key")  # its directory is a file

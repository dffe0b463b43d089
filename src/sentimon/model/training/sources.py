"""Readers for the packaged corpora, and how each maps to negative / neutral / positive.

- VADER's human-rated sentences carry a mean rating in [-4, 4]: a rating above
  ``+threshold`` is positive, below ``-threshold`` negative, and neutral in between.
  The threshold is a training option, chosen on validation (docs/model.md).
- The UCI sentences carry 0 (negative) or 1 (positive); they are an evaluation set only.
- WordNet's gloss examples carry no label: those without a word of VADER's lexicon and
  without a negation are plain statements, labelled neutral.
"""

from __future__ import annotations

import html
import io
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentimon.model.training.corpora import UCI_NPM, VADER_SDIST, WORDNET_NPM, archive_path
from sentimon.model.training.evaluation import has_negation

LABELS = ["negative", "neutral", "positive"]

_VADER_INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
_VADER_LEXICON = "vaderSentiment-3.3.2/vaderSentiment/vader_lexicon.txt"
# Ground-truth file -> the name a source's rows carry in the model card.
VADER_PARTS = {
    "tweets_GroundTruth.txt": "vader-tweets",
    "movieReviewSnippets_GroundTruth.txt": "vader-movie-reviews",
    "amazonReviewSnippets_GroundTruth.txt": "vader-product-reviews",
    "nytEditorialSnippets_GroundTruth.txt": "vader-news",
}
UCI_PARTS = ("amazon", "imdb", "yelp")
DEFAULT_VADER_THRESHOLD = 0.25  # chosen on validation: docs/model.md


@dataclass(frozen=True, slots=True)
class RatedSentence:
    part: str  # one of VADER_PARTS' values
    rating: float  # mean human rating, -4 (extremely negative) to +4 (extremely positive)
    text: str


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    handle = archive.extractfile(name)
    if handle is None:
        raise ValueError(f"{name} is not a file in {archive.name}")
    return handle.read()


def vader_sentences(sdist: Path) -> list[RatedSentence]:
    """Every rated sentence of the VADER source distribution, in file order."""
    with tarfile.open(sdist) as outer:
        inner_bytes = _member(outer, _VADER_INNER)
    rows: list[RatedSentence] = []
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        names = {Path(m.name).name: m.name for m in inner.getmembers() if m.isfile()}
        for filename, part in VADER_PARTS.items():
            raw = _member(inner, names[filename]).decode("utf-8", errors="replace")
            for line in raw.splitlines():
                fields = line.split("\t", 2)
                if len(fields) == 3 and fields[2].strip():
                    # The tweets keep their HTML entities ("&amp;"); people type "&".
                    text = html.unescape(fields[2].strip())
                    rows.append(RatedSentence(part, float(fields[1]), text))
    return rows


def vader_lexicon(sdist: Path) -> dict[str, float]:
    """VADER's lexicon: token -> mean valence rating (-4 to +4) of ten human raters."""
    with tarfile.open(sdist) as outer:
        raw = _member(outer, _VADER_LEXICON).decode("utf-8")
    lexicon = {}
    for line in raw.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            lexicon[fields[0]] = float(fields[1])
    return lexicon


def rating_labels(ratings: np.ndarray, threshold: float) -> np.ndarray:
    """Indices into LABELS: negative below -threshold, positive above +threshold."""
    if threshold < 0:
        raise ValueError("the neutral band's half-width cannot be negative")
    labels = np.full(len(ratings), LABELS.index("neutral"), dtype=np.int64)
    labels[ratings < -threshold] = LABELS.index("negative")
    labels[ratings > threshold] = LABELS.index("positive")
    return labels


def uci_sentences(package: Path) -> dict[str, list[tuple[str, str]]]:
    """The UCI sentences per site, as (text, "negative" | "positive")."""
    out: dict[str, list[tuple[str, str]]] = {}
    with tarfile.open(package) as archive:
        for part in UCI_PARTS:
            rows = json.loads(_member(archive, f"package/test/fixtures/{part}.json"))
            out[part] = [
                (row["text"].strip(), "positive" if row["class"] == 1 else "negative")
                for row in rows
                if row.get("text", "").strip() and row.get("class") in (0, 1)
            ]
    return out


def load_vader(cache: Path | None = None) -> list[RatedSentence]:
    return vader_sentences(archive_path(VADER_SDIST, cache))


def load_uci(cache: Path | None = None) -> dict[str, list[tuple[str, str]]]:
    return uci_sentences(archive_path(UCI_NPM, cache))


_WORDNET_FILES = tuple(f"package/dict/data.{pos}" for pos in ("noun", "verb", "adj", "adv"))
_QUOTED = re.compile(r'"([^"]+)"')
_WORD = re.compile(r"[a-z']+")


def wordnet_examples(package: Path) -> list[str]:
    """The quoted usage examples of WordNet's glosses, distinct, in file order."""
    found: dict[str, None] = {}
    with tarfile.open(package) as archive:
        for name in _WORDNET_FILES:
            for line in _member(archive, name).decode("latin-1").splitlines():
                # Lines that start with spaces are the licence header, not synsets.
                if line.startswith(" ") or "|" not in line:
                    continue
                for example in _QUOTED.findall(line.split("|", 1)[1]):
                    found.setdefault(" ".join(example.split()), None)
    return list(found)


def plain_statements(texts: list[str], lexicon: dict[str, float], min_words: int = 5) -> list[str]:
    """Texts of at least ``min_words`` words with no word of VADER's lexicon and no
    negation: nothing in them carries sentiment by VADER's own account."""
    return [
        text
        for text in texts
        if len(text.split()) >= min_words
        and not has_negation(text)
        and not any(word in lexicon for word in _WORD.findall(text.lower()))
    ]


def load_wordnet_examples(cache: Path | None = None) -> list[str]:
    return wordnet_examples(archive_path(WORDNET_NPM, cache))

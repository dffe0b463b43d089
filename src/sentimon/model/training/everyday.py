"""sentimon's everyday sentences: written by hand in the register people use with shops,
airlines, restaurants, employers, clinics, software and public services.

Three files, each labelled by the rule in its header:

- ``everyday_eval.tsv``: the evaluation set. Frozen: written before model 3.0.0 was
  worked on, never trained or tuned on; its SHA-256 is in the model card.
- ``everyday_dev.tsv``: the development set, a validation split only: options are
  chosen on it, never on the evaluation set.
- ``everyday_train.tsv``: training sentences (the ``everyday`` source).

Each data line is ``label<TAB>domain<TAB>tags<TAB>text``; ``#`` lines are the header.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources

import numpy as np

from sentimon.model.training.metrics import confusion_matrix, per_class_report, per_class_scores

EVAL_FILE = "everyday_eval.tsv"
DEV_FILE = "everyday_dev.tsv"
TRAIN_FILE = "everyday_train.tsv"
LABELS = ("negative", "neutral", "positive")
TAGS = ("negation", "contrast", "surprise", "question", "request", "instruction", "fact")
# Sentences whose verdict turns on a word that reverses or delays it.
TURNS = ("negation", "contrast", "surprise")


@dataclass(frozen=True, slots=True)
class EverydaySentence:
    label: str
    domain: str
    tags: tuple[str, ...]
    text: str

    @property
    def turns(self) -> bool:
        return any(tag in TURNS for tag in self.tags)


def _raw(name: str) -> bytes:
    return resources.files(__package__).joinpath(name).read_bytes()


def file_sha256(name: str) -> str:
    return hashlib.sha256(_raw(name)).hexdigest()


def parse(content: str, name: str) -> list[EverydaySentence]:
    """The data lines of an everyday file.

    Raises:
        ValueError: naming the first line that is not ``label<TAB>domain<TAB>tags<TAB>text``
            with a known label and tags.
    """
    rows = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        tags = () if len(fields) != 4 or fields[2] == "-" else tuple(fields[2].split(","))
        if (
            len(fields) != 4
            or fields[0] not in LABELS
            or not fields[1]
            or not set(tags) <= set(TAGS)
            or not fields[3].strip()
        ):
            raise ValueError(
                f"{name} line {number}: expected label<TAB>domain<TAB>tags<TAB>text with a "
                f"label among {LABELS} and tags among {TAGS} or '-', got {line[:80]!r}"
            )
        rows.append(EverydaySentence(fields[0], fields[1], tags, fields[3].strip()))
    return rows


def load(name: str) -> list[EverydaySentence]:
    return parse(_raw(name).decode("utf-8"), name)


def header(name: str) -> str:
    """The file's '#' header, the labelling rule included, without the '# ' marks."""
    lines = _raw(name).decode("utf-8").splitlines()
    return "\n".join(
        line[2:] if line.startswith("# ") else line[1:] for line in lines if line.startswith("#")
    )


def _scores(gold: list[str], predicted: list[str]) -> dict:
    index = {label: i for i, label in enumerate(LABELS)}
    true = np.asarray([index[g] for g in gold], dtype=np.int64)
    pred = np.asarray([index[p] for p in predicted], dtype=np.int64)
    matrix = confusion_matrix(true, pred, len(LABELS))
    scores = per_class_scores(matrix)
    return {
        "n": len(gold),
        "accuracy": float((true == pred).mean()) if len(gold) else None,
        "macro_f1": float(scores["f1"].mean()),
        "per_class": per_class_report(scores, list(LABELS)),
        "confusion_matrix": matrix.tolist(),
    }


def report(sentences: list[EverydaySentence], predicted: list[str]) -> dict:
    """Three-class accuracy, per-class precision/recall/F1, and accuracy on the sentences
    that turn on a negation, contrast or surprise; ``predicted`` follows ``sentences``."""
    gold = [s.label for s in sentences]
    turns = [i for i, s in enumerate(sentences) if s.turns]
    return {
        **_scores(gold, predicted),
        "turns": {
            "n": len(turns),
            "accuracy": float(np.mean([gold[i] == predicted[i] for i in turns])) if turns else None,
            "definition": "sentences tagged negation, contrast or surprise",
        },
    }


def describe(sentences: list[EverydaySentence]) -> dict:
    """How the set is made up: per label, per domain, per tag."""
    return {
        "n": len(sentences),
        "labels": dict(sorted(Counter(s.label for s in sentences).items())),
        "domains": dict(sorted(Counter(s.domain for s in sentences).items())),
        "tags": dict(sorted(Counter(t for s in sentences for t in s.tags).items())),
        "turns": sum(s.turns for s in sentences),
    }


_WORDS = re.compile(r"[a-z0-9']+")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(_WORDS.findall(text.lower()))


def near(texts: list[str], held: list[str], threshold: float = 0.5) -> set[str]:
    """The texts whose word sets overlap a held-out text's by ``threshold`` or more
    (Jaccard): near copies and paraphrases of an evaluation sentence, kept out of training."""
    held_sets = [_word_set(t) for t in held]
    by_word: dict[str, list[int]] = {}
    for i, words in enumerate(held_sets):
        for word in words:
            by_word.setdefault(word, []).append(i)
    found = set()
    for text in texts:
        words = _word_set(text)
        candidates = {i for w in words for i in by_word.get(w, ())}
        for i in candidates:
            other = held_sets[i]
            if len(words & other) >= threshold * len(words | other):
                found.add(text)
                break
    return found

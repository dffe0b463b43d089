"""Several labelled sources combined into one training set, each with its own clean test split.

A text is kept once across all sources (the first source that has it keeps it), texts of
the evaluation benchmarks are dropped from every source, and each source is split on its
own, stratified by label, so every source's test split holds only texts the model never
saw, and the model card can report each one separately.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from sentimon.model.training.data import LabelledData, stratified_split

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")


def text_key(text: str) -> str:
    """What makes two texts the same for deduplication: case and spacing ignored."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Source:
    """One labelled source. ``splits`` fixes each row's split where the source decides it
    (the negation templates hold words out); otherwise rows are split at random."""

    name: str
    data: LabelledData
    description: dict = field(default_factory=dict)
    splits: list[str] | None = None


@dataclass(frozen=True)
class Combined:
    train: LabelledData
    validation: LabelledData
    tests: dict[str, LabelledData]  # per source
    report: dict[str, dict]  # per source: rows kept and dropped, split sizes, label mix


def concat(parts: list[LabelledData], label_names: list[str]) -> LabelledData:
    """The rows of every part, in order."""
    return LabelledData(
        [t for p in parts for t in p.texts],
        np.concatenate([p.labels for p in parts]).astype(np.int64),
        np.concatenate([p.weights for p in parts]).astype(np.float32),
        label_names,
        {"sources": [p.source.get("name") for p in parts]},
    )


def combine(
    sources: list[Source],
    *,
    exclude: set[str] = frozenset(),
    validation: float = 0.1,
    test: float = 0.1,
    seed: int = 13,
) -> Combined:
    """Deduplicate across ``sources`` (in order), drop ``exclude``d texts (keys from
    ``text_key``), and split each source stratified by label."""
    if not sources:
        raise ValueError("no training source given")
    label_names = sources[0].data.label_names
    for source in sources[1:]:
        if source.data.label_names != label_names:
            raise ValueError(
                f"source {source.name!r} has labels {source.data.label_names}, "
                f"{sources[0].name!r} has {label_names}: every source must map to the same labels"
            )
    seen: set[str] = set()
    parts: dict[str, list[LabelledData]] = {s: [] for s in SPLITS}
    tests: dict[str, LabelledData] = {}
    report: dict[str, dict] = {}
    for source in sources:
        keep, duplicate, excluded = [], 0, 0
        for i, text in enumerate(source.data.texts):
            key = text_key(text)
            if key in exclude:
                excluded += 1
            elif key in seen:
                duplicate += 1
            else:
                seen.add(key)
                keep.append(i)
        data = source.data.subset(np.asarray(keep, dtype=np.int64))
        data = replace(data, source={**data.source, "name": source.name})
        if not len(data):
            indices = {s: np.empty(0, dtype=np.int64) for s in SPLITS}
        elif source.splits is not None:
            row_splits = np.asarray([source.splits[i] for i in keep])
            indices = {s: np.flatnonzero(row_splits == s) for s in SPLITS}
        else:
            cut = stratified_split(data.labels, validation=validation, test=test, seed=seed)
            indices = {"train": cut.train, "validation": cut.validation, "test": cut.test}
        for split in SPLITS:
            part = data.subset(indices[split])
            parts[split].append(part)
        tests[source.name] = parts["test"][-1]
        report[source.name] = {
            **source.description,
            "rows": len(source.data),
            "dropped_duplicate_of_earlier_source": duplicate,
            "dropped_benchmark_text": excluded,
            "kept": len(data),
            "label_mix": data.label_mix(),
            **{split: len(indices[split]) for split in SPLITS},
            "split": "fixed by the source"
            if source.splits is not None
            else f"stratified by label, seed {seed}, {validation:.0%} validation / {test:.0%} test",
        }
        logger.info("source %s: %s", source.name, report[source.name])
    return Combined(
        concat(parts["train"], label_names),
        concat(parts["validation"], label_names),
        tests,
        report,
    )

"""One training run from data to a complete model directory."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentimon.model.artifact import CARD_FILE, MODEL_FILE, TOKENIZER_FILE
from sentimon.model.tokenizer import Vocabulary, pad_batch
from sentimon.model.training import export, loop
from sentimon.model.training.card import MODEL_VERSION, build_card
from sentimon.model.training.data import (
    DEFAULT_WEIGHT_COL,
    LabelledData,
    load_csv,
    load_default_corpus,
    stratified_split,
    stratified_subset,
)
from sentimon.model.training.metrics import classification_report
from sentimon.model.training.network import BiLSTMClassifier
from sentimon.model.training.probe import load_probe, probe_applies, probe_report
from sentimon.model.training.reference import reference_distributions

logger = logging.getLogger(__name__)

BENCHMARK_TEXT = (
    "@united my flight was delayed again, and nobody at the gate could tell us why. "
    "Not impressed #fail"
)


@dataclass(frozen=True)
class RunOptions:
    """Where the data comes from and where the artifact goes; the network's knobs are in config."""

    out: Path
    data: Path | None = None
    text_col: str = "text"
    label_col: str = "sentiment"
    weight_col: str | None = None
    use_weights: bool = True
    encoding: str = "utf-8-sig"
    limit: int | None = None
    max_tokens: int = 128
    vocab_size: int = 20_000
    min_count: int = 2
    validation_fraction: float = 0.1
    test_fraction: float = 0.1
    version: str = MODEL_VERSION
    progress: bool = True
    config: loop.TrainConfig = field(default_factory=loop.TrainConfig)


@dataclass(frozen=True)
class RunSummary:
    out: Path
    card: dict
    model: BiLSTMClassifier  # the trained PyTorch network, best epoch restored
    vocabulary: Vocabulary


def _load(options: RunOptions) -> tuple[LabelledData, str]:
    if options.data is None:
        return (
            load_default_corpus(use_weights=options.use_weights),
            "column 'confidence' (annotator agreement; blank = 1)",
        )
    weight_col = (options.weight_col or DEFAULT_WEIGHT_COL) if options.use_weights else None
    data = load_csv(
        options.data,
        text_col=options.text_col,
        label_col=options.label_col,
        weight_col=weight_col,
        weight_optional=options.weight_col is None,
        encoding=options.encoding,
    )
    data.source.setdefault("name", options.data.name)
    used = data.source["weight_column"]
    return data, f"column {used!r}" if used else "none"


def _benchmark(model_path: Path, vocabulary: Vocabulary, runs: int = 2000) -> dict:
    """Median single-text latency of the ONNX graph on one onnxruntime thread."""
    session = export.onnx_session(model_path, threads=1)
    ids, lengths = pad_batch([vocabulary.encode(BENCHMARK_TEXT)])
    feeds = {"token_ids": ids, "lengths": lengths}
    for _ in range(100):
        session.run(["probs"], feeds)
    times = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter()
        session.run(["probs"], feeds)
        times[i] = time.perf_counter() - start
    return {
        "what": "one text, session.run only, 1 onnxruntime thread, on the training machine's CPU",
        "tokens": int(lengths[0]),
        "p50_ms": round(float(np.percentile(times, 50)) * 1e3, 4),
        "p99_ms": round(float(np.percentile(times, 99)) * 1e3, 4),
    }


def _write_atomically(out: Path, files: dict[str, bytes]) -> None:
    """Replace the artifact's files together, so a failed run never leaves a mixed directory."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".train-") as staging:
        for name, content in files.items():
            (Path(staging) / name).write_bytes(content)
        for name in files:
            os.replace(Path(staging) / name, out / name)


def run(options: RunOptions) -> RunSummary:
    """Load, split, train, evaluate, export and check; write model.onnx, tokenizer.json and
    model_card.json into ``options.out`` (created if missing, those files overwritten)."""
    config = options.config
    data, sample_weights = _load(options)
    if options.limit is not None:
        data = data.subset(stratified_subset(data.labels, options.limit, config.seed))
    split = stratified_split(
        data.labels,
        validation=options.validation_fraction,
        test=options.test_fraction,
        seed=config.seed,
    )
    train_data, val_data, test_data = (
        data.subset(split.train),
        data.subset(split.validation),
        data.subset(split.test),
    )
    vocabulary = Vocabulary.build(
        train_data.texts,
        max_size=options.vocab_size,
        min_count=options.min_count,
        max_tokens=options.max_tokens,
    )
    logger.info(
        "vocabulary: %d tokens; train %d, validation %d, test %d",
        len(vocabulary),
        len(train_data),
        len(val_data),
        len(test_data),
    )

    result = loop.train(
        train_data,
        val_data,
        vocabulary,
        config,
        use_sample_weights=options.use_weights,
        progress=options.progress,
    )
    torch_probs = loop.predict_probs(result.model, test_data.texts, vocabulary)

    with tempfile.TemporaryDirectory(prefix="sentimon-export-") as scratch:
        onnx_path = Path(scratch) / MODEL_FILE
        export.export_onnx(result.model, onnx_path)
        session = export.onnx_session(onnx_path, threads=config.threads)
        onnx_test = export.onnx_probs(session, test_data.texts, vocabulary)
        probe = load_probe()
        if probe_applies(probe, data.label_names):
            probe_result = probe_report(
                probe,
                export.onnx_probs(session, [t for t, _ in probe], vocabulary),
                data.label_names,
            )
        else:
            probe_result = {"skipped": f"probe labels are not all among {data.label_names}"}
        latency = _benchmark(onnx_path, vocabulary)
        onnx_bytes = onnx_path.read_bytes()

    card = build_card(
        data=data,
        split=split,
        vocabulary=vocabulary,
        config=config,
        result=result,
        data_options={
            "limit": options.limit,
            "vocab_size_cap": options.vocab_size,
            "min_count": options.min_count,
            "validation_fraction": options.validation_fraction,
            "test_fraction": options.test_fraction,
            "sample_weights": sample_weights if options.use_weights else "none",
        },
        # Metrics come from onnxruntime: they describe the graph that is served.
        test_metrics=classification_report(onnx_test, test_data.labels, data.label_names),
        parity=export.parity(torch_probs, onnx_test),
        probe=probe_result,
        reference=reference_distributions(test_data.texts, onnx_test, vocabulary, data.label_names),
        latency=latency,
        version=options.version,
    )
    _write_atomically(
        options.out,
        {
            MODEL_FILE: onnx_bytes,
            TOKENIZER_FILE: json.dumps(vocabulary.to_json(), ensure_ascii=False).encode("utf-8"),
            CARD_FILE: (json.dumps(card, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        },
    )
    return RunSummary(options.out, card, result.model, vocabulary)

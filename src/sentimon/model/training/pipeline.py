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
from sentimon.model.training import (
    everyday,
    export,
    lexicon_baseline,
    loop,
    neutral_offset,
    vocabulary_extension,
)
from sentimon.model.training.card import MODEL_VERSION, build_card
from sentimon.model.training.catalog import (
    DEFAULT_SOURCE_WEIGHTS,
    DEFAULT_SOURCES,
    NATURAL,
    WRITTEN,
    SourceOptions,
    build_sources,
    held_out_keys,
    reweighted,
)
from sentimon.model.training.corpora import UCI_NPM, CorpusUnavailable
from sentimon.model.training.data import DEFAULT_WEIGHT_COL, load_csv, stratified_subset
from sentimon.model.training.dataset import Combined, Source, combine, concat
from sentimon.model.training.embeddings import (
    DEFAULT_GLOVE_WORDS,
    WordVectors,
    initial_embedding,
    load_glove,
)
from sentimon.model.training.evaluation import polarity_report
from sentimon.model.training.everyday_templates import DEFAULT_EVERYDAY_TEMPLATES
from sentimon.model.training.metrics import calibration_report, classification_report
from sentimon.model.training.negation import DEFAULT_NEGATION_EXAMPLES
from sentimon.model.training.network import BiLSTMClassifier
from sentimon.model.training.probe import load_probe, probe_applies, probe_report
from sentimon.model.training.reference import CONFIDENCE_BOUNDS, reference_distributions
from sentimon.model.training.sources import DEFAULT_VADER_THRESHOLD, load_uci
from sentimon.traffic.corpus import normal_texts

logger = logging.getLogger(__name__)

BENCHMARK_TEXT = (
    "@united my flight was delayed again, and nobody at the gate could tell us why. "
    "Not impressed #fail"
)


@dataclass(frozen=True)
class RunOptions:
    """Where the data comes from and where the artifact goes; the network's knobs are in config."""

    out: Path
    sources: tuple[str, ...] | None = None  # None: the defaults, or only --data when given
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
    vader_threshold: float = DEFAULT_VADER_THRESHOLD
    negation_examples: int = DEFAULT_NEGATION_EXAMPLES
    everyday_templates: int = DEFAULT_EVERYDAY_TEMPLATES
    wordnet_examples: int | None = None
    # Loss weight per source name; a name this run does not train on is an error, unless
    # it is one of the defaults.
    source_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SOURCE_WEIGHTS))
    embeddings: str = "glove"  # or "none"
    glove_words: int = DEFAULT_GLOVE_WORDS  # 0: no extension
    neutral_offset: bool = True  # set the neutral logit's offset on validation
    corpus_cache: Path | None = None
    version: str = MODEL_VERSION
    progress: bool = True
    config: loop.TrainConfig = field(default_factory=loop.TrainConfig)

    def source_names(self) -> tuple[str, ...]:
        if self.sources is not None:
            return self.sources
        return () if self.data is not None else DEFAULT_SOURCES


@dataclass(frozen=True)
class RunSummary:
    out: Path
    card: dict
    model: BiLSTMClassifier  # the trained PyTorch network, best epoch restored
    vocabulary: Vocabulary


def _csv_source(options: RunOptions) -> Source:
    assert options.data is not None
    weight_col = (options.weight_col or DEFAULT_WEIGHT_COL) if options.use_weights else None
    data = load_csv(
        options.data,
        text_col=options.text_col,
        label_col=options.label_col,
        weight_col=weight_col,
        weight_optional=options.weight_col is None,
        encoding=options.encoding,
    )
    used = data.source["weight_column"]
    return Source(
        options.data.name,
        data,
        {
            "kind": NATURAL,
            **data.source,
            "labels_from": f"column {options.label_col!r}"
            + (f", rows weighted by column {used!r}" if used else ""),
        },
    )


def _sources(options: RunOptions) -> list[Source]:
    built = build_sources(
        options.source_names(),
        SourceOptions(
            vader_threshold=options.vader_threshold,
            negation_examples=options.negation_examples,
            seed=options.config.seed,
            everyday_templates=options.everyday_templates,
            wordnet_examples=options.wordnet_examples,
            use_weights=options.use_weights,
            corpus_cache=options.corpus_cache,
        ),
    )
    if options.data is not None:
        built.append(_csv_source(options))
    if options.limit is not None:
        built = [_limited(source, options.limit, options.config.seed) for source in built]
    names = [source.name for source in built]
    unknown = sorted(set(options.source_weights) - set(names) - set(DEFAULT_SOURCE_WEIGHTS))
    if unknown:
        raise ValueError(
            f"--source-weight names {', '.join(unknown)}, not a source of this run "
            f"({', '.join(names)})"
        )
    return reweighted(built, options.source_weights)


def _limited(source: Source, limit: int, seed: int) -> Source:
    """About ``limit`` rows of the source with its label mix (smoke runs)."""
    rows = stratified_subset(source.data.labels, limit, seed)
    splits = [source.splits[i] for i in rows] if source.splits is not None else None
    return Source(source.name, source.data.subset(rows), source.description, splits)


def _benchmark_texts(options: RunOptions, labels: list[str]) -> dict | None:
    """The UCI sentences per site; None when the model lacks a positive and a negative
    label; ``{"skipped": reason}`` (logged) when they cannot be fetched."""
    if not {"positive", "negative"} <= set(labels):
        return None
    try:
        return load_uci(options.corpus_cache)
    except CorpusUnavailable as exc:
        logger.warning("UCI benchmark skipped: %s", exc)
        return {"skipped": str(exc)}


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


def _reference(probs, vocabulary: Vocabulary, labels: list[str]) -> dict:
    """Drift reference: the model on the pool the `normal` traffic scenario draws from
    (short messages, posts and reviews), so that normal traffic is what it describes."""
    texts = list(normal_texts())
    return reference_distributions(
        texts,
        probs(texts),
        vocabulary,
        labels,
        computed_on=f"the normal traffic pool (sentimon.traffic corpus: {len(texts)} short "
        "messages, posts and reviews, never trained on)",
    )


def _everyday_report(evaluation: list, probs, labels: list[str]) -> dict:
    """The model beside VADER's rules on the everyday evaluation set, per class."""
    if list(labels) != list(everyday.LABELS):
        return {"skipped": f"the everyday set is labelled {everyday.LABELS}, not {labels}"}
    texts = [s.text for s in evaluation]
    predicted = [labels[i] for i in probs(texts).argmax(axis=1)]
    result = {
        "file": everyday.EVAL_FILE,
        "sha256": everyday.file_sha256(everyday.EVAL_FILE),
        "description": "everyday sentences written for evaluation only, frozen before model "
        "3.0.0 was worked on; never trained or tuned on (texts and near copies are dropped "
        "from every training source)",
        "composition": everyday.describe(evaluation),
        "model": everyday.report(evaluation, predicted),
    }
    try:
        result["vader"] = {
            "what": lexicon_baseline.DESCRIPTION,
            **everyday.report(evaluation, lexicon_baseline.vader_labels(texts)),
        }
    except lexicon_baseline.BaselineUnavailable as exc:
        logger.warning("VADER baseline skipped: %s", exc)
        result["vader"] = {"skipped": str(exc)}
    return result


def _write_atomically(out: Path, files: dict[str, bytes]) -> None:
    """Replace the artifact's files together, so a failed run never leaves a mixed directory."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".train-") as staging:
        for name, content in files.items():
            (Path(staging) / name).write_bytes(content)
        for name in files:
            os.replace(Path(staging) / name, out / name)


def run(options: RunOptions) -> RunSummary:
    """Load and combine the sources, train, evaluate, export and check; write model.onnx,
    tokenizer.json and model_card.json into ``options.out`` (created if missing, those
    files overwritten)."""
    config = options.config
    sources = _sources(options)
    labels = sources[0].data.label_names
    benchmark = _benchmark_texts(options, labels)
    evaluation = everyday.load(everyday.EVAL_FILE)  # scored below, never trained on
    uci = benchmark if benchmark and "skipped" not in benchmark else {}
    held_out = held_out_keys(sources, uci)
    combined = combine(
        sources,
        exclude=held_out,
        validation=options.validation_fraction,
        test=options.test_fraction,
        seed=config.seed,
    )
    vocabulary = Vocabulary.build(
        combined.train.texts,
        max_size=options.vocab_size,
        min_count=options.min_count,
        max_tokens=options.max_tokens,
    )
    vectors = _word_vectors(options)
    initial, embedding = _initial_embedding(options, vocabulary, vectors)
    logger.info(
        "vocabulary: %d tokens; train %d, validation %d",
        len(vocabulary),
        len(combined.train),
        len(combined.validation),
    )

    result = loop.train(
        combined.train,
        combined.validation,
        vocabulary,
        config,
        use_sample_weights=options.use_weights,
        progress=options.progress,
        initial_embedding=initial,
    )
    if vectors is not None and options.glove_words:
        extension = vocabulary_extension.extend(
            result.model, vocabulary, vectors, options.glove_words
        )
        vocabulary = extension.vocabulary
        embedding["extended_after_training"] = extension.report
        logger.info("vocabulary extended: %s", extension.report)
    offset = _fit_neutral_offset(options, result.model, combined, vocabulary, labels)
    natural = [
        s.name
        for s in sources
        if s.description.get("kind") in (NATURAL, WRITTEN) and len(combined.tests[s.name])
    ]
    test_data = concat([combined.tests[name] for name in natural], labels)
    torch_probs = loop.predict_probs(result.model, test_data.texts, vocabulary)

    with tempfile.TemporaryDirectory(prefix="sentimon-export-") as scratch:
        onnx_path = Path(scratch) / MODEL_FILE
        export.export_onnx(result.model, onnx_path)
        session = export.onnx_session(onnx_path, threads=config.threads)

        def probs(texts: list[str]) -> np.ndarray:
            return export.onnx_probs(session, texts, vocabulary)

        # Metrics come from onnxruntime: they describe the graph that is served.
        onnx_test = probs(test_data.texts)
        test_metrics = {
            **classification_report(onnx_test, test_data.labels, labels),
            "computed_on": f"the test splits of {', '.join(natural)}, pooled",
        }
        per_source = {
            name: classification_report(probs(part.texts), part.labels, labels)
            for name, part in combined.tests.items()
            if len(part)
        }
        probe = load_probe()
        if probe_applies(probe, labels):
            probe_result = probe_report(probe, probs([t for t, _ in probe]), labels)
        else:
            probe_result = {"skipped": f"probe labels are not all among {labels}"}
        if benchmark is None:
            benchmark_result = {"skipped": f"needs positive and negative among {labels}"}
        elif "skipped" in benchmark:
            benchmark_result = benchmark
        else:
            texts = [text for part in benchmark.values() for text, _ in part]
            benchmark_result = {
                **polarity_report(benchmark, probs(texts), labels),
                **UCI_NPM.describe(),
            }
        everyday_result = _everyday_report(evaluation, probs, labels)
        reference = _reference(probs, vocabulary, labels)
        latency = _benchmark(onnx_path, vocabulary)
        onnx_bytes = onnx_path.read_bytes()

    card = build_card(
        labels=labels,
        combined=combined,
        vocabulary=vocabulary,
        config=config,
        result=result,
        data_options={
            "limit": options.limit,
            "vocab_size_cap": options.vocab_size,
            "min_count": options.min_count,
            "sources": list(options.source_names())
            + ([options.data.name] if options.data is not None else []),
            "test_examples": len(test_data),
            "vader_threshold": options.vader_threshold,
            "negation_examples": options.negation_examples,
            "everyday_templates": options.everyday_templates,
            "wordnet_examples": options.wordnet_examples,
            "source_weights": {
                name: factor
                for name, factor in options.source_weights.items()
                if name in combined.report
            },
        },
        embedding=embedding,
        test_metrics=test_metrics,
        per_source=per_source,
        calibration=calibration_report(onnx_test, test_data.labels, CONFIDENCE_BOUNDS),
        benchmark=benchmark_result,
        parity=export.parity(torch_probs, onnx_test),
        probe=probe_result,
        everyday=everyday_result,
        reference=reference,
        latency=latency,
        neutral_offset=offset,
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


def _fit_neutral_offset(
    options: RunOptions,
    model: BiLSTMClassifier,
    combined: Combined,
    vocabulary: Vocabulary,
    labels: list[str],
) -> dict | None:
    """Fit and apply the neutral logit offset (see neutral_offset); its report, or None."""
    if not options.neutral_offset or neutral_offset.NEUTRAL not in labels or len(labels) < 2:
        return None
    neutral = labels.index(neutral_offset.NEUTRAL)
    probs = loop.predict_probs(model, combined.validation.texts, vocabulary)
    offset = neutral_offset.fit(
        np.log(np.maximum(probs, 1e-30)), combined.validation.labels, neutral
    )
    neutral_offset.apply(model, neutral, offset.value)
    logger.info("neutral offset: %s", offset.report)
    return offset.report


def _word_vectors(options: RunOptions) -> WordVectors | None:
    if options.embeddings == "none":
        return None
    if options.embeddings != "glove":
        raise ValueError(f"embeddings must be glove or none, not {options.embeddings!r}")
    vectors = load_glove()
    if options.config.embedding_dim != vectors.dim:
        raise ValueError(
            f"GloVe vectors have {vectors.dim} dimensions; set the embedding size to "
            f"{vectors.dim} or train with --embeddings none"
        )
    return vectors


def _initial_embedding(
    options: RunOptions, vocabulary: Vocabulary, vectors: WordVectors | None
) -> tuple[np.ndarray | None, dict]:
    if vectors is None:
        return None, {"initialised": "random", "dim": options.config.embedding_dim}
    matrix, found = initial_embedding(vocabulary, vectors, options.config.seed)
    return matrix, {
        "initialised": "pretrained, then fine-tuned with the network",
        **vectors.description,
        "dim": vectors.dim,
        "vocabulary_tokens_found": found,
        "vocabulary_tokens": len(vocabulary),
    }

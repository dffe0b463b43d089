"""The model card: what the model is, what it was trained on, and how well it does."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib import metadata

from sentimon.model.artifact import DEFAULT_MODEL_NAME, DEFAULT_MODEL_VERSION
from sentimon.model.tokenizer import Vocabulary
from sentimon.model.training.dataset import Combined
from sentimon.model.training.loop import TrainConfig, TrainResult

MODEL_VERSION = DEFAULT_MODEL_VERSION


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def build_card(
    *,
    labels: list[str],
    combined: Combined,
    vocabulary: Vocabulary,
    config: TrainConfig,
    result: TrainResult,
    data_options: dict,
    embedding: dict,
    test_metrics: dict,
    per_source: dict,
    calibration: dict,
    benchmark: dict,
    parity: dict,
    probe: dict,
    everyday: dict,
    reference: dict,
    latency: dict,
    neutral_offset: dict | None = None,
    version: str = MODEL_VERSION,
) -> dict:
    """Assemble model_card.json; ``labels`` is the order of the ONNX ``probs`` columns."""
    return {
        "name": DEFAULT_MODEL_NAME,
        "version": version,
        "labels": labels,
        "framework": "onnx",
        "architecture": (
            f"embedding {config.embedding_dim} -> BiLSTM {config.hidden_size}x2 over the true "
            f"lengths -> masked {config.pooling} pooling -> linear -> softmax over {len(labels)}"
        ),
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "inputs": {
            "token_ids": "int64 [batch, time], right-padded with 0",
            "lengths": "int64 [batch]",
        },
        "outputs": {"probs": "float32 [batch, classes], softmax over labels"},
        "tokenizer": {
            "vocabulary_size": len(vocabulary),
            "max_tokens": vocabulary.max_tokens,
            "built_from": "training split only"
            + (
                ", then GloVe's frequent words it lacked (embedding.extended_after_training)"
                if "extended_after_training" in embedding
                else ""
            ),
            **{k: data_options[k] for k in ("vocab_size_cap", "min_count")},
        },
        "embedding": embedding,
        "data": {
            "sources": combined.report,
            "source_order": data_options["sources"],
            "vader_threshold": data_options["vader_threshold"],
            "negation_examples": data_options["negation_examples"],
            "everyday_templates": data_options["everyday_templates"],
            "wordnet_examples": data_options.get("wordnet_examples"),
            "source_weights": data_options.get("source_weights", {}),
            "deduplication": "a text (case and spacing ignored) is kept by the first source "
            "that has it; texts of the UCI benchmark and of the everyday evaluation set, and "
            "near copies of the latter (half their words shared), are dropped from every "
            "source",
            "limit": data_options.get("limit"),
            "train": len(combined.train),
            "validation": len(combined.validation),
            "test": data_options["test_examples"],
            "label_mix_train": combined.train.label_mix(),
        },
        "training": {
            "seed": config.seed,
            "epochs_run": result.epochs_run,
            "best_epoch": result.best_epoch,
            "seconds": round(result.seconds, 1),
            "early_stopping": f"validation macro-F1 over every source, patience "
            f"{config.patience}, best epoch's weights restored",
            "hyperparameters": config.as_dict(),
            "loss": f"cross-entropy, label smoothing {config.label_smoothing}, "
            f"class weights '{config.class_weighting}' (inverse label frequency"
            f"{', square root' if config.class_weighting == 'sqrt' else ''})",
            "history": result.history,
            "neutral_offset": neutral_offset,
        },
        "metrics": {
            "test": test_metrics,
            "per_source": per_source,
            "calibration": calibration,
            "uci_sentences": benchmark,
            "everyday": everyday,
        },
        "onnx_parity": {**parity, "compared": "pooled test split, PyTorch vs onnxruntime"},
        "generalisation_probe": probe,
        "inference_benchmark": latency,
        "reference_distributions": reference,
        "software": {
            "python": platform.python_version(),
            "torch": _version("torch"),
            "onnx": _version("onnx"),
            "onnxruntime": _version("onnxruntime"),
        },
    }

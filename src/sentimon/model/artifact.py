"""The on-disk model artifact: what files it holds and how they are checked on load.

A model directory holds three files, written by `sentimon train`:

- ``model.onnx``: inputs ``token_ids`` (int64, [batch, time], right-padded with 0)
  and ``lengths`` (int64, [batch]); output ``probs`` (float32, [batch, classes]),
  rows summing to 1.
- ``tokenizer.json``: the vocabulary and the model window (see tokenizer.py).
- ``model_card.json``: name, version, labels in output order, training data and
  test metrics, and reference distributions for drift checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentimon import paths
from sentimon.model.errors import ModelLoadError
from sentimon.model.tokenizer import Vocabulary

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CARD_FILE = "model_card.json"
DEFAULT_MODEL_NAME = "sentimon-bilstm"
DEFAULT_MODEL_VERSION = "3.1.0"  # what `sentimon train` writes unless told otherwise

_REQUIRED_CARD_FIELDS = ("name", "version", "labels")


@dataclass(frozen=True)
class ModelArtifact:
    """A validated model directory, ready to hand to onnxruntime."""

    directory: Path
    onnx_bytes: bytes
    vocabulary: Vocabulary
    card: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.card["name"])

    @property
    def version(self) -> str:
        return str(self.card["version"])

    @property
    def labels(self) -> list[str]:
        return list(self.card["labels"])


def default_model_dir() -> Path:
    """The shipped model, in sentimon's home (sentimon.paths)."""
    return paths.models_dir() / DEFAULT_MODEL_NAME


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"missing model file: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"corrupt model file {path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"corrupt model file {path}: expected a JSON object")
    return data


def load_artifact(directory: Path) -> ModelArtifact:
    """Read and check a model directory; raise ModelLoadError naming the bad file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ModelLoadError(f"model directory not found: {directory}")
    onnx_path = directory / MODEL_FILE
    try:
        onnx_bytes = onnx_path.read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(f"missing model file: {onnx_path}") from None
    if not onnx_bytes:
        raise ModelLoadError(f"corrupt model file {onnx_path}: empty")

    tok_path = directory / TOKENIZER_FILE
    try:
        vocabulary = Vocabulary.from_json(_read_json(tok_path))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"corrupt model file {tok_path}: {exc}") from exc

    card_path = directory / CARD_FILE
    card = _read_json(card_path)
    missing = [f for f in _REQUIRED_CARD_FIELDS if f not in card]
    if missing:
        raise ModelLoadError(f"corrupt model file {card_path}: missing {', '.join(missing)}")
    labels = card["labels"]
    if (
        not isinstance(labels, list)
        or len(labels) < 2
        or not all(isinstance(x, str) for x in labels)
    ):
        raise ModelLoadError(f"corrupt model file {card_path}: labels must be 2+ strings")
    return ModelArtifact(directory, onnx_bytes, vocabulary, card)

"""ONNX export of the trained network and a PyTorch-vs-onnxruntime parity check."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from sentimon.model.tokenizer import Vocabulary, pad_batch
from sentimon.model.training.network import BiLSTMClassifier

logger = logging.getLogger(__name__)

OPSET = 17


def export_onnx(model: BiLSTMClassifier, path: Path) -> None:
    """Write the artifact contract's graph: token_ids, lengths -> probs (see artifact.py)."""
    model.eval()
    ids = torch.tensor([[2, 3, 4], [5, 6, 0]], dtype=torch.int64)
    lengths = torch.tensor([3, 2], dtype=torch.int64)
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated, but the dynamo one cannot export packed
        # LSTMs yet. The tracer's notes are about values we keep out of the graph on purpose
        # (enforce_sorted, no initial state); parity() checks the graph on real batches.
        for message, category in (
            (r"You are using the legacy TorchScript-based ONNX export", DeprecationWarning),
            (r"The feature will be removed", DeprecationWarning),
            (r"Converting a tensor to a Python boolean", torch.jit.TracerWarning),
            (r"Exporting a model to ONNX with a batch_size other than 1", UserWarning),
        ):
            warnings.filterwarnings("ignore", message=message, category=category)
        torch.onnx.export(
            model,
            (ids, lengths),
            str(path),
            input_names=["token_ids", "lengths"],
            output_names=["probs"],
            dynamic_axes={
                "token_ids": {0: "batch", 1: "time"},
                "lengths": {0: "batch"},
                "probs": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def onnx_session(path: Path, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_probs(
    session: ort.InferenceSession, texts: list[str], vocabulary: Vocabulary, batch_size: int = 256
) -> np.ndarray:
    """Class probabilities from onnxruntime, batched and padded the way the service pads."""
    out = []
    for start in range(0, len(texts), batch_size):
        ids, lengths = pad_batch([vocabulary.encode(t) for t in texts[start : start + batch_size]])
        out.append(session.run(["probs"], {"token_ids": ids, "lengths": lengths})[0])
    return np.concatenate(out)


def parity(torch_probs: np.ndarray, onnx_probs_: np.ndarray) -> dict:
    """How far onnxruntime's probabilities are from PyTorch's on the same texts."""
    diff = np.abs(torch_probs - onnx_probs_)
    return {
        "max_abs_prob_diff": float(diff.max()),
        "examples": len(diff),
        "same_argmax": float((torch_probs.argmax(1) == onnx_probs_.argmax(1)).mean()),
    }

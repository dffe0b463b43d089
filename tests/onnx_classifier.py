"""The shipped graph scored through onnxruntime alone (no torch), as the tests read it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnxruntime as ort

from sentimon.model.artifact import ModelArtifact
from sentimon.model.tokenizer import pad_batch


def onnx_classifier(
    artifact: ModelArtifact, threads: int = 1, batch_size: int = 256
) -> Callable[[list[str]], np.ndarray]:
    """A function from texts to probabilities, padded the way the service pads."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(artifact.onnx_bytes, options, providers=["CPUExecutionProvider"])

    def run(texts: list[str]) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch_size):
            encoded = [artifact.vocabulary.encode(t) for t in texts[start : start + batch_size]]
            ids, lengths = pad_batch(encoded)
            out.append(session.run(["probs"], {"token_ids": ids, "lengths": lengths})[0])
        return np.concatenate(out)

    return run

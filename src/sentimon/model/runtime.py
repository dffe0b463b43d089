"""The predictor: tokenizes text and runs the ONNX model with onnxruntime."""

from __future__ import annotations

import ctypes
import math
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort

from sentimon.model.artifact import ModelArtifact, load_artifact
from sentimon.model.errors import InvalidInputError, ModelLoadError
from sentimon.model.tokenizer import Encoded, pad_batch

_INPUTS = ("token_ids", "lengths")
# mallopt's M_MMAP_THRESHOLD (glibc's malloc.h), and glibc's own starting value for it.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 128 * 1024


@dataclass(frozen=True, slots=True)
class Prediction:
    """The model's answer for one text."""

    label: str
    confidence: float  # probability of the top class
    scores: dict[str, float]  # every class, in the model's label order
    tokens: int  # tokens the model saw (after truncation)
    truncated: bool  # the text was longer than the model window
    unknown_tokens: int  # tokens outside the vocabulary, among those seen


@dataclass(frozen=True, slots=True)
class TokenAttribution:
    """How much one token pushed the prediction: positive means it supported the label."""

    text: str  # the token as written in the input
    start: int
    end: int
    weight: float


@dataclass(frozen=True, slots=True)
class Explanation:
    prediction: Prediction
    tokens: list[TokenAttribution]


class InferenceObserver(Protocol):
    """Receives timings and results of every batch; the metrics layer implements it."""

    def observe_batch(
        self,
        *,
        preprocess_seconds: float,
        inference_seconds: float,
        encoded: Sequence[Encoded],
        predictions: Sequence[Prediction],
    ) -> None: ...


def _session_options(threads: int) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning threads burn a core waiting for work, which starves sibling workers.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def _run_options() -> ort.RunOptions:
    """Every run hands back the CPU arena's regions it no longer uses."""
    options = ort.RunOptions()
    # A batch of 64 long texts leaves 40 MB of intermediates in the arena; kept, they would
    # stay resident for good, once more for each run that ever overlapped another.
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def _keep_large_blocks_mapped() -> None:
    """Pin glibc's mmap threshold, so that the regions the arena frees leave the process.

    glibc raises the threshold to the size of any mapped block freed, up to 32 MB; blocks
    below it come from the heap and stay resident after free. With arena shrinkage and the
    moving threshold, a worker grew past 900 MB in a varied-length soak. Setting the
    threshold stops it moving. The setting is process-wide; elsewhere than glibc, nothing.
    """
    if platform.libc_ver()[0] != "glibc":
        return
    ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)


def _providers(device: str) -> list[str]:
    available = ort.get_available_providers()
    if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device == "cuda":
        raise ModelLoadError(
            f"device 'cuda' asked for, but onnxruntime offers only {', '.join(available)}"
        )
    return ["CPUExecutionProvider"]


class Predictor:
    """A loaded, validated model; thread-safe for concurrent predict calls."""

    def __init__(
        self,
        artifact: ModelArtifact,
        *,
        threads: int = 1,
        device: str = "auto",
        observer: InferenceObserver | None = None,
    ) -> None:
        self.artifact = artifact
        self.vocabulary = artifact.vocabulary
        self.labels = artifact.labels
        self.observer = observer
        onnx_path = artifact.directory / "model.onnx"
        _keep_large_blocks_mapped()
        try:
            self._session = ort.InferenceSession(
                artifact.onnx_bytes, _session_options(threads), providers=_providers(device)
            )
        except ModelLoadError:
            raise
        except Exception as exc:  # onnxruntime raises several unrelated types here
            raise ModelLoadError(f"corrupt model file {onnx_path}: {exc}") from exc
        names = tuple(i.name for i in self._session.get_inputs())
        if sorted(names) != sorted(_INPUTS):
            raise ModelLoadError(
                f"corrupt model file {onnx_path}: inputs are {names}, expected {_INPUTS}"
            )
        self.device = (
            "cuda" if self._session.get_providers()[0] == "CUDAExecutionProvider" else "cpu"
        )
        if device == "cuda" and self.device != "cuda":
            # onnxruntime-gpu lists CUDA even where no driver or GPU is, then falls back to
            # the CPU with a warning: a deployment sized for a GPU must not start like that.
            raise ModelLoadError(
                "device 'cuda' asked for, but onnxruntime could not start CUDA (no GPU or "
                "driver visible?) and would run on the CPU"
            )
        # Shrinkage is measured on the CPU only; on CUDA the runs keep onnxruntime's defaults.
        self._run_options = _run_options() if self.device == "cpu" else None
        self.threads = threads

    @classmethod
    def load(cls, directory: Path, **kwargs) -> Predictor:
        """Load, validate and probe the model in `directory`."""
        predictor = cls(load_artifact(directory), **kwargs)
        predictor.probe()
        return predictor

    @property
    def name(self) -> str:
        return self.artifact.name

    @property
    def version(self) -> str:
        return self.artifact.version

    def probe(self) -> None:
        """One real inference that must give a probability for every label."""
        probs = self._run([self.vocabulary.encode("probe inference")])
        if probs.shape != (1, len(self.labels)):
            raise ModelLoadError(
                f"model gives {probs.shape[-1]} outputs but the model card names "
                f"{len(self.labels)} labels"
            )
        if not (np.all(np.isfinite(probs)) and math.isclose(float(probs.sum()), 1.0, abs_tol=1e-3)):
            raise ModelLoadError("probe inference did not return probabilities")

    def _run(self, encoded: Sequence[Encoded]) -> np.ndarray:
        ids, lengths = pad_batch(list(encoded))
        feed = {"token_ids": ids, "lengths": lengths}
        return self._session.run(None, feed, self._run_options)[0]

    def _prediction(self, probs: np.ndarray, enc: Encoded) -> Prediction:
        values = probs.tolist()  # Python floats: cheaper to compare and pick than numpy scalars
        top = max(range(len(values)), key=values.__getitem__)
        return Prediction(
            label=self.labels[top],
            confidence=values[top],
            scores=dict(zip(self.labels, values, strict=True)),
            tokens=len(enc.ids),
            truncated=enc.truncated,
            unknown_tokens=enc.unknown,
        )

    def predict_batch(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify texts in one inference call; an empty or blank text is refused."""
        if not texts:
            raise InvalidInputError("no texts given")
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                raise InvalidInputError(f"text {i} is empty")
        start = time.perf_counter()
        encoded = [self.vocabulary.encode(t) for t in texts]
        tokenized = time.perf_counter()
        probs = self._run(encoded)
        done = time.perf_counter()
        predictions = [self._prediction(p, e) for p, e in zip(probs, encoded, strict=True)]
        if self.observer is not None:
            self.observer.observe_batch(
                preprocess_seconds=tokenized - start,
                inference_seconds=done - tokenized,
                encoded=encoded,
                predictions=predictions,
            )
        return predictions

    def predict(self, text: str) -> Prediction:
        return self.predict_batch([text])[0]

    def explain(self, text: str) -> Explanation:
        """Occlusion attribution: how far removing each token moves the predicted class."""
        prediction = self.predict(text)
        enc = self.vocabulary.encode(text, spans=True)
        if not enc.tokens:
            return Explanation(prediction, [])
        top = self.labels.index(prediction.label)
        variants = [
            Encoded(np.delete(enc.ids, i) if len(enc.ids) > 1 else enc.ids[:0], [], 0, 0)
            for i in range(len(enc.tokens))
        ]
        # A one-token text occludes to nothing; the model sees a lone <unk> instead.
        variants = [v if len(v.ids) else self.vocabulary.encode("") for v in variants]
        occluded = self._run(variants)[:, top]
        return Explanation(
            prediction,
            [
                TokenAttribution(
                    text[t.start : t.end], t.start, t.end, prediction.confidence - float(p)
                )
                for t, p in zip(enc.tokens, occluded, strict=True)
            ],
        )

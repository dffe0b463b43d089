"""The shipped model on onnxruntime's CUDA provider, where onnxruntime-gpu and a GPU are there;
skipped, with the reason, everywhere else (CI has neither)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from sentimon.model.runtime import Predictor

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "sentimon-bilstm"
TEXTS = [
    "@united thanks for the quick rebooking, the crew on the second flight was lovely",
    "two hours on hold and the line went dead",
    "the flight leaves at 9",
]


def test_the_model_runs_on_cuda_and_agrees_with_the_cpu():
    providers = onnxruntime.get_available_providers()
    if "CUDAExecutionProvider" not in providers:
        pytest.skip(f"onnxruntime here offers no CUDA provider (only {', '.join(providers)})")
    on_gpu = Predictor.load(MODEL_DIR, device="cuda")
    on_cpu = Predictor.load(MODEL_DIR, device="cpu")
    assert on_gpu.device == "cuda" and on_cpu.device == "cpu"
    for gpu, cpu in zip(on_gpu.predict_batch(TEXTS), on_cpu.predict_batch(TEXTS), strict=True):
        assert gpu.label == cpu.label
        np.testing.assert_allclose(list(gpu.scores.values()), list(cpu.scores.values()), atol=1e-4)

"""What is being served: model, version, labels, training metrics, runtime."""

from __future__ import annotations

import onnxruntime
from fastapi import APIRouter, Request

from sentimon import __version__
from sentimon.api.deps import app_settings, ready_predictor
from sentimon.api.openapi import NOT_READY

router = APIRouter(tags=["info"], responses=NOT_READY)

_CARD_FIELDS = ("framework", "created_at", "data", "metrics", "generalisation_probe", "onnx_parity")


@router.get("/info")
async def info(request: Request) -> dict:
    predictor, settings = ready_predictor(request), app_settings(request)
    card = predictor.artifact.card
    return {
        "service": {"name": "sentimon", "version": __version__},
        "model": {
            "name": predictor.name,
            "version": predictor.version,
            "labels": predictor.labels,
            "max_tokens": predictor.vocabulary.max_tokens,
            "vocabulary_size": len(predictor.vocabulary),
            **{key: card[key] for key in _CARD_FIELDS if key in card},
        },
        "runtime": {
            "engine": "onnxruntime",
            "engine_version": onnxruntime.__version__,
            "device": predictor.device,
            "threads": predictor.threads,
            # So that a demo or a traffic generator can tell whether X-Inject-Fault works.
            "fault_injection": settings.fault_injection,
        },
        "limits": {
            "max_text_chars": settings.max_text_chars,
            "max_batch": settings.max_batch,
            "max_body_bytes": settings.max_body_bytes,
        },
    }

"""What the routes need from the app's state, as plain functions of the request.

Not FastAPI dependencies on purpose: solving each `Depends` cost /predict about
30 µs per request, as much as the rest of the request handling (docs/performance.md).
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from sentimon.model.runtime import Predictor
from sentimon.settings import Settings


def app_settings(request: Request) -> Settings:
    return request.app.state.settings


def ready_predictor(request: Request) -> Predictor:
    """The loaded model, or 503 while it is still loading."""
    predictor = request.app.state.predictor
    if predictor is None:
        raise HTTPException(503, "model not loaded yet")
    return predictor

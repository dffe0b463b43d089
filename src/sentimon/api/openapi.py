"""The OpenAPI document: every status a route can answer, and the input limits of the running
settings, so that generated clients and schema-based testers send what the service takes.

The checks themselves live where the input is read (schemas.py, routes/predict.py); this
module only declares them, and tests/unit/test_api_schema.py holds the two to each other.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from sentimon.api.schemas import NOT_BLANK, BatchPredictRequest, ErrorResponse, PredictRequest
from sentimon.settings import Settings


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


# What a route that reads a JSON body can answer besides its own statuses: 413 and 415 from
# BodyGuardMiddleware, 400 from the error handlers (errors.py).
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("Body is not valid JSON"),
    413: _error("Body over SENTIMON_MAX_BODY_BYTES"),
    415: _error("Content type is not JSON"),
}
NOT_READY: dict[int | str, dict[str, Any]] = {503: _error("Model not loaded yet")}


def _text_limits(settings: Settings) -> dict[str, Any]:
    return {"minLength": 1, "maxLength": settings.max_text_chars, "pattern": NOT_BLANK}


def declare_limits(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Write the input limits of `settings` into a generated document, in place."""
    schemas = document["components"]["schemas"]
    schemas[PredictRequest.__name__]["properties"]["text"].update(_text_limits(settings))
    texts = schemas[BatchPredictRequest.__name__]["properties"]["texts"]
    texts.update(minItems=1, maxItems=settings.max_batch)
    texts["items"].update(_text_limits(settings))
    return document


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` (and so /openapi.json and /docs) declare the limits of `settings`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return declare_limits(generate(), settings)

    app.openapi = openapi  # FastAPI's documented way to change the document

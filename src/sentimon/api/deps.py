"""Dependencies shared by the routes, as Annotated aliases.

All are `async def` although none awaits: FastAPI runs a plain `def` dependency
in its thread pool, a round trip to a worker thread per dependency per request.
"""

from __future__ import annotations

import email.message
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from sentimon.model.runtime import Predictor
from sentimon.settings import Settings


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _predictor(request: Request) -> Predictor:
    predictor = request.app.state.predictor
    if predictor is None:
        raise HTTPException(503, "model not loaded yet")
    return predictor


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON (application/json or a +json type)."""
    value = request.headers.get("content-type")
    if value:
        message = email.message.Message()
        message["content-type"] = value
        subtype = message.get_content_subtype()
        if message.get_content_maintype() == "application" and (
            subtype == "json" or subtype.endswith("+json")
        ):
            return
    raise HTTPException(415, f"content-type must be application/json, got {value or 'none'}")


SettingsDep = Annotated[Settings, Depends(_settings)]
PredictorDep = Annotated[Predictor, Depends(_predictor)]

"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sentimon.api.schemas import Liveness, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Liveness:
    """Liveness: the process answers."""
    return Liveness(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Loading, or draining after SIGTERM"}},
)
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the model is loaded and probed, and the server is not shutting down."""
    state = request.app.state
    if state.draining:
        return JSONResponse({"status": "draining"}, 503)
    if state.predictor is None:
        return JSONResponse({"status": "loading"}, 503)
    return JSONResponse(
        {"status": "ready", "model": state.predictor.name, "version": state.predictor.version}
    )

"""Prometheus exposition: this process's metrics, or every worker's summed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

METRICS_PATH = "/metrics"

router = APIRouter(include_in_schema=False)


@router.get(METRICS_PATH)
async def metrics(request: Request) -> Response:
    # Reading every worker's files (and NVML) is blocking I/O: keep it off the event loop.
    body, content_type = await run_in_threadpool(
        request.app.state.exposition.render, request.headers.get("accept")
    )
    return Response(body, media_type=content_type)

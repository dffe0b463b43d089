"""The app factory: builds the FastAPI app, loads the model in the lifespan."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from starlette.concurrency import run_in_threadpool

from sentimon import __version__
from sentimon.api.errors import install_error_handlers
from sentimon.api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from sentimon.api.routes import health, info, metrics, predict, web
from sentimon.model.runtime import Predictor
from sentimon.settings import Settings

logger = logging.getLogger(__name__)


def _watch_for_shutdown(app: FastAPI) -> Callable[[], None]:
    """Chain onto the server's SIGTERM handler so /readyz turns 503 while requests drain.

    uvicorn installs its handler with signal.signal before the lifespan starts; we
    mark the app as draining and pass the signal on. Returns a function that undoes it.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # in-process test clients run the app off the main thread
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame) -> None:
        app.state.draining = True
        logger.warning("SIGTERM received: not ready, finishing in-flight requests")
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    return lambda: signal.signal(signal.SIGTERM, previous)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    restore_signal = _watch_for_shutdown(app)
    app.state.predictor = await run_in_threadpool(
        Predictor.load, settings.model_dir, threads=settings.onnx_threads, device=settings.device
    )
    predictor = app.state.predictor
    logger.info(
        "model %s %s loaded from %s on %s",
        predictor.name,
        predictor.version,
        settings.model_dir,
        predictor.device,
    )
    try:
        yield
    finally:
        app.state.draining = True
        restore_signal()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Nothing is loaded until the lifespan starts."""
    settings = settings or Settings()
    app = FastAPI(
        title="sentimon",
        version=__version__,
        summary="Sentiment analysis with its own metrics, logs, dashboards and alerts.",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.predictor = None
    app.state.draining = False
    app.state.registry = _registry()

    install_error_handlers(app)
    for router in (predict.router, health.router, info.router, metrics.router, web.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("sentimon.api", "static")]), name="static")

    # Added last is outermost: the request context wraps everything, even the 413s.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    return app

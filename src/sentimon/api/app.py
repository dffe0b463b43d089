"""The app factory: builds the FastAPI app, loads the model in the lifespan."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, multiprocess
from starlette.concurrency import run_in_threadpool

from sentimon import __version__
from sentimon.api.body_guard import BodyGuardMiddleware
from sentimon.api.errors import install_error_handlers
from sentimon.api.metrics_port import MetricsPortRouter
from sentimon.api.middleware import RequestMiddleware, access_logger
from sentimon.api.openapi import install_openapi
from sentimon.api.routes import docs, feedback, health, info, predict, web
from sentimon.api.routes import metrics as metrics_route
from sentimon.api.security_headers import SecurityHeadersMiddleware
from sentimon.feedback.intake import FeedbackIntake
from sentimon.feedback.key import FeedbackKeyError, load_key
from sentimon.feedback.token import FeedbackSigner
from sentimon.model.runtime import Predictor
from sentimon.observability.exemplars import ExemplarStore
from sentimon.observability.exposition import MetricsExposition
from sentimon.observability.http_metrics import HttpMetrics
from sentimon.observability.logging import LoggingSetup, configure_logging
from sentimon.observability.metrics import ServiceMetrics
from sentimon.observability.tracing import start_otlp_export
from sentimon.settings import Settings

logger = logging.getLogger(__name__)

_NO_OPENTELEMETRY = {"tracing": False, "metrics": False, "logs": False}


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


def _open_feedback(app: FastAPI, predictor: Predictor) -> None:
    """Feedback tokens for this model; without a usable key the service serves on, feedback off."""
    settings: Settings = app.state.settings
    secret = settings.feedback_key.get_secret_value() if settings.feedback_key else None
    try:
        key = load_key(secret, settings.feedback_key_file)
    except FeedbackKeyError as error:
        app.state.feedback_off_reason = str(error)
        logger.error("feedback is off: %s", error)
        return
    signer = FeedbackSigner(
        key,
        model=predictor.name,
        version=predictor.version,
        labels=predictor.labels,
        max_age_seconds=settings.feedback_max_age_seconds,
    )
    app.state.feedback = FeedbackIntake.create(signer)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    restore_signal = _watch_for_shutdown(app)
    metrics: ServiceMetrics | None = app.state.metrics
    predictor = await run_in_threadpool(
        Predictor.load,
        settings.model_dir,
        threads=settings.onnx_threads,
        device=settings.device,
        observer=metrics.model if metrics else None,
    )
    if metrics:
        metrics.model.bind(model=predictor.name, version=predictor.version, device=predictor.device)
        metrics.model.ready.set(1)
    _open_feedback(app, predictor)
    app.state.predictor = predictor
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
        if metrics:
            metrics.model.ready.set(0)
        if settings.prometheus_multiproc_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), str(settings.prometheus_multiproc_dir))
        restore_signal()
        app.state.logging.flush()  # a worker may die by the signal uvicorn re-raises


def start_logging(settings: Settings, *, per_process_file: bool) -> LoggingSetup:
    """Route every logger through the sinks the settings name; flushed at exit."""
    setup = configure_logging(
        level=settings.log_level,
        log_dir=settings.log_dir,
        per_process_file=per_process_file,
        max_bytes=settings.log_max_bytes,
        backups=settings.log_backups,
        syslog_address=settings.syslog_address,
    )
    atexit.register(setup.stop)  # flush the queue into every sink on the way out
    return setup


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app as `sentimon serve` runs it: logging configured and its lines counted,
    metrics, middleware, routes. Nothing is loaded until the lifespan starts.

    With no settings they come from the environment: `sentimon serve --workers N` names
    this function as each worker's factory.
    """
    settings = settings or Settings()
    # Each worker of several writes its own log file: one rotating file cannot have two writers.
    log_setup = start_logging(settings, per_process_file=settings.workers > 1)
    # Spans: to the global providers someone else set up (SENTIMON_OPENTELEMETRY), or over
    # OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise FastAPI never asks.
    tracing = start_otlp_export() or settings.opentelemetry
    app = FastAPI(
        title="sentimon",
        version=__version__,
        summary="Sentiment analysis with its own metrics, logs, dashboards and alerts.",
        lifespan=_lifespan,
        docs_url=None,  # routes/docs.py serves /docs and /redoc without a CDN, when asked
        redoc_url=None,
        # FastAPI asks the global OpenTelemetry providers on every request whether to trace.
        telemetry=None if tracing else _NO_OPENTELEMETRY,
    )
    app.state.settings = settings
    app.state.predictor = None
    app.state.draining = False
    app.state.feedback = None  # FeedbackIntake, once the model is loaded
    app.state.feedback_off_reason = None
    app.state.logging = log_setup
    registry = CollectorRegistry()
    # Several workers: prometheus_client's multiprocess mode keeps no exemplars; ours does.
    multiprocess_dir = settings.prometheus_multiproc_dir
    exemplars = ExemplarStore(multiprocess_dir) if multiprocess_dir is not None else None
    metrics = ServiceMetrics(registry, exemplars) if settings.metrics_enabled else None
    app.state.metrics = metrics
    app.state.exposition = MetricsExposition(registry, settings.prometheus_multiproc_dir)
    if metrics is not None:
        log_setup.count_with(metrics.logs)

    install_error_handlers(app)
    install_openapi(app, settings)
    routers = (predict.router, feedback.router, health.router, info.router, metrics_route.router)
    for router in (*routers, web.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(packages=[("sentimon.api", "static")]), name="static")
    if settings.api_docs:
        docs.install_docs(app)

    # Added last is outermost. RequestMiddleware wraps everything but the security headers,
    # so it counts and logs the 413s, 415s, 500s and wrong-port 404s, and its own 500s get
    # the headers too. The port check comes before the body guard: a wrong port is a 404
    # whatever the body.
    app.add_middleware(BodyGuardMiddleware, max_bytes=settings.max_body_bytes)
    if settings.metrics_port is not None:
        app.add_middleware(MetricsPortRouter, metrics_port=settings.metrics_port)
    app.add_middleware(
        RequestMiddleware,
        metrics=HttpMetrics(registry, exemplars) if metrics is not None else None,
        in_progress=metrics.http_inprogress if metrics is not None else None,
        access_log=log_setup.line_writer(access_logger) if settings.access_log else None,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app

"""Running the API under uvicorn: logging first, then the app, one or several workers."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile

import uvicorn
from fastapi import FastAPI

from sentimon.api.app import create_app
from sentimon.observability.logging import LoggingSetup, configure_logging
from sentimon.settings import Settings

_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def start_logging(settings: Settings, *, per_process_file: bool) -> LoggingSetup:
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


def build_app(settings: Settings, *, per_process_file: bool = False) -> FastAPI:
    """Configure logging once, then build the app and count its log lines, drops and sink
    failures in its metrics."""
    setup = start_logging(settings, per_process_file=per_process_file)
    app = create_app(settings, log_setup=setup)
    if app.state.metrics is not None:
        setup.count_with(app.state.metrics.logs)
    return app


def worker_app() -> FastAPI:
    """Factory each `--workers N` process calls: settings from the environment."""
    return build_app(Settings(), per_process_file=True)


def _exit_on_signal(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


def serve(settings: Settings) -> None:
    options = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "server_header": False,
        "log_config": None,  # our handlers, not uvicorn's
        "access_log": False,  # one line per request comes from our middleware
    }
    if settings.workers == 1:
        # uvicorn re-raises SIGTERM once it has shut down; exiting through SystemExit
        # instead of dying by the signal lets atexit flush the last log lines.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        uvicorn.run(build_app(settings), **options)
        return
    # Workers are fresh interpreters: they read settings, and prometheus_client reads
    # its multiprocess directory, from the environment. The directory is new each start.
    metrics_dir = tempfile.mkdtemp(prefix="sentimon-metrics-")
    os.environ[_MULTIPROC_ENV] = metrics_dir
    for name in ("host", "port", "workers"):
        os.environ[f"SENTIMON_{name.upper()}"] = str(getattr(settings, name))
    start_logging(settings, per_process_file=False)  # the supervisor's own lines
    try:
        uvicorn.run(
            "sentimon.serving:worker_app", factory=True, workers=settings.workers, **options
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)

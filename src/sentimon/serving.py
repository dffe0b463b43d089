"""Running the API under uvicorn, one or several workers; create_app builds what they serve."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile

import uvicorn

from sentimon.api.app import create_app, start_logging
from sentimon.settings import Settings

_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


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
        uvicorn.run(create_app(settings), **options)
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
            "sentimon.api.app:create_app", factory=True, workers=settings.workers, **options
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)

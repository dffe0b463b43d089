"""Running the API under uvicorn, one or several workers; create_app builds what they serve."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from sentimon.api.app import create_app, start_logging
from sentimon.api.routes.metrics import METRICS_PATH
from sentimon.http_protocol import ConnectionLimits, LimitedHttpToolsProtocol
from sentimon.observability.workers import WorkerRestarts
from sentimon.settings import Settings

_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

logger = logging.getLogger(__name__)


def _exit_on_signal(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


def _exit_status(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"


class _Supervisor(Multiprocess):
    """uvicorn's supervisor, with each worker it replaces logged at WARNING and counted."""

    def __init__(self, config: uvicorn.Config, sockets: list, restarts: WorkerRestarts) -> None:
        super().__init__(config, sockets)
        self.restarts = restarts

    def keep_subprocess_alive(self) -> None:
        # uvicorn replaces a dead worker in place in `processes` and says so at INFO only.
        before = list(self.processes)
        super().keep_subprocess_alive()
        for old, new in zip(before, self.processes, strict=True):
            if new is not old:
                self.restarts.record()
                logger.warning(
                    "worker %s died (%s); started worker %s in its place",
                    old.pid,
                    _exit_status(old.exitcode),
                    new.pid,
                    extra={"worker_pid": old.pid, "exitcode": old.exitcode},
                )


def _options(settings: Settings) -> dict:
    limits = ConnectionLimits(settings.header_max_bytes, settings.read_timeout_seconds)
    return {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        # A partial of a module-level class pickles, so spawned workers get it too.
        "http": functools.partial(LimitedHttpToolsProtocol, limits=limits),
        "timeout_keep_alive": settings.keep_alive_seconds,
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "server_header": False,
        "log_config": None,  # our handlers, not uvicorn's
        "access_log": False,  # one line per request comes from our middleware
    }


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _bind_metrics_socket(host: str, port: int) -> socket.socket:
    """The socket /metrics is served on, made as uvicorn's Config.bind_socket makes the API's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        logger.error("cannot serve metrics on %s: %s", _url(host, port), exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    sock.set_inheritable(True)  # as uvicorn's own: every worker accepts on it
    return sock


def _sockets(config: uvicorn.Config, settings: Settings) -> list[socket.socket]:
    """The API's listening socket and, with SENTIMON_METRICS_PORT, the metrics port's: one
    server accepts on both, and the app tells them apart (api/metrics_port.py)."""
    sockets = [config.bind_socket()]  # logs "Uvicorn running on ..."
    if settings.metrics_port is not None:
        sockets.append(_bind_metrics_socket(settings.host, settings.metrics_port))
        where = _url(settings.host, settings.metrics_port) + METRICS_PATH
        logger.info("metrics served on %s only (SENTIMON_METRICS_PORT)", where)
    return sockets


def _serve_one_process(settings: Settings, options: dict) -> None:
    """What uvicorn.run does for one worker, with the metrics port's socket beside the API's."""
    config = uvicorn.Config(create_app(settings), **options)  # create_app starts the logging
    server = uvicorn.Server(config)
    # Metrics port off: uvicorn binds as uvicorn.run always has.
    sockets = _sockets(config, settings) if settings.metrics_port is not None else None
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=sockets)
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


def serve(settings: Settings) -> None:
    options = _options(settings)
    if settings.workers == 1:
        # uvicorn re-raises SIGTERM once it has shut down; exiting through SystemExit
        # instead of dying by the signal lets atexit flush the last log lines.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        _serve_one_process(settings, options)
        return
    # Workers are fresh interpreters: they read settings, and prometheus_client reads
    # its multiprocess directory, from the environment. The directory is new each start.
    metrics_dir = tempfile.mkdtemp(prefix="sentimon-metrics-")
    os.environ[_MULTIPROC_ENV] = metrics_dir
    for name in ("host", "port", "workers", "metrics_port"):
        value = getattr(settings, name)
        os.environ[f"SENTIMON_{name.upper()}"] = "" if value is None else str(value)
    start_logging(settings, per_process_file=False)  # the supervisor's own lines
    # What uvicorn.run does for workers > 1, with our supervisor in place of its own.
    config = uvicorn.Config(
        "sentimon.api.app:create_app", factory=True, workers=settings.workers, **options
    )
    try:
        sockets = _sockets(config, settings)
        _Supervisor(config, sockets, WorkerRestarts(Path(metrics_dir))).run()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)

"""Worker restarts under `sentimon serve --workers N`: recorded by the supervisor, read at scrape.

prometheus_client chooses file-backed values when it is first imported, and the
command line imports it before the supervisor creates PROMETHEUS_MULTIPROC_DIR,
so a Counter in the supervisor would stay in its own memory. The supervisor
therefore keeps the count in one small file in that directory, replaced
atomically, and every worker's /metrics reads it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

RESTARTS_FILE = "worker_restarts.count"


class WorkerRestarts:
    """The supervisor's count of workers it replaced, kept in the multiprocess directory."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / RESTARTS_FILE
        self.count = 0

    def record(self) -> None:
        self.count += 1
        partial = self.path.with_suffix(".partial")
        partial.write_text(str(self.count), encoding="ascii")
        os.replace(partial, self.path)


class WorkerRestartsCollector(Collector):
    """`sentimon_worker_restarts_total`; always 0 with one worker, which nothing restarts."""

    def __init__(self, directory: Path | None) -> None:
        self.path = None if directory is None else directory / RESTARTS_FILE

    def collect(self):
        count = 0
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError, ValueError):
                count = int(self.path.read_text(encoding="ascii"))
        family = CounterMetricFamily(
            "sentimon_worker_restarts",
            "Worker processes that died and were replaced by `sentimon serve --workers N`.",
        )
        family.add_metric([], count)
        yield family

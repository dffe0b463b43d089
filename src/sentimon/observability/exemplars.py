"""Exemplars: the request behind a latency bucket (docs/metrics.md#exemplars).

`http_request_duration_seconds` and `model_inference_duration_seconds` carry, for each
bucket, the newest observation's `request_id` (and `trace_id` when the request came
with a W3C traceparent). They travel only in the OpenMetrics format, which /metrics
answers when the scraper asks for it, and add no series.

With one process prometheus_client keeps them. Its multiprocess mode (`--workers N`)
keeps none, so there each worker keeps its newest exemplar per bucket in memory, a
thread writes them to `<PROMETHEUS_MULTIPROC_DIR>/exemplars_<pid>.json` at most once a
second, and the scrape puts the newest of every worker's on the summed buckets.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar
from prometheus_client.utils import floatToGoString

from sentimon.observability.context import request_id_var, trace_id_var

# OpenMetrics: the names and values of one exemplar's labels, 128 characters together.
MAX_EXEMPLAR_RUNES = 128
FILE_PREFIX = "exemplars_"
WRITE_EVERY_SECONDS = 1.0

# The histograms that carry exemplars, with their label names in order.
HISTOGRAM_LABELS = {
    "http_request_duration_seconds": ("handler", "method", "status"),
    "model_inference_duration_seconds": ("model", "version", "device"),
}


def request_exemplar(request_id: str | None, trace_id: str | None) -> dict[str, str] | None:
    """The exemplar labels of a request; the trace id is left out, then the whole
    exemplar, when a long client-given request id would break the 128-character limit."""
    if request_id is None:
        return None
    runes = _REQUEST_ID_RUNES + len(request_id)
    if runes > MAX_EXEMPLAR_RUNES:
        return None
    if trace_id is not None and runes + _TRACE_ID_RUNES + len(trace_id) <= MAX_EXEMPLAR_RUNES:
        return {"request_id": request_id, "trace_id": trace_id}
    return {"request_id": request_id}


# Label names count toward the limit too (arithmetic here: this runs on every request).
_REQUEST_ID_RUNES, _TRACE_ID_RUNES = len("request_id"), len("trace_id")


def observe(
    child,
    value: float,
    exemplar: dict[str, str] | None,
    store: ExemplarStore | None,
    name: str,
    labelvalues: tuple[str, ...],
) -> None:
    """Observe value on a histogram child with its exemplar: kept by prometheus_client in
    one process; by store with several workers, where prometheus_client drops it."""
    if store is None:
        child.observe(value, exemplar)
        return
    child.observe(value)
    if exemplar is not None:
        store.record(name, labelvalues, value, exemplar)


def current_exemplar() -> dict[str, str] | None:
    """The exemplar of the request this code runs for, if any."""
    return request_exemplar(request_id_var.get(), trace_id_var.get())


class ExemplarStore:
    """One worker's newest exemplar per histogram bucket, written out for the scrape."""

    def __init__(self, directory: Path, pid: int | None = None) -> None:
        self.path = Path(directory) / f"{FILE_PREFIX}{pid or os.getpid()}.json"
        self._bounds: dict[str, list[float]] = {}
        self._latest: dict[tuple[str, tuple[str, ...], int], tuple[dict, float, float]] = {}
        self._changed = threading.Event()
        self._writer: threading.Thread | None = None

    def track(self, name: str, buckets: Iterable[float]) -> None:
        """Name a histogram and its bucket bounds (+Inf is added, as prometheus_client does)."""
        bounds = [float(b) for b in buckets]
        self._bounds[name] = bounds if bounds[-1] == float("inf") else [*bounds, float("inf")]

    def record(
        self, name: str, labelvalues: tuple[str, ...], value: float, exemplar: dict[str, str]
    ) -> None:
        """Keep exemplar as the newest of its bucket: a dict store, about a microsecond."""
        index = bisect.bisect_left(self._bounds[name], value)
        self._latest[(name, labelvalues, index)] = (exemplar, value, time.time())
        self._changed.set()
        if self._writer is None:
            self._start_writer()

    def _start_writer(self) -> None:
        self._writer = threading.Thread(target=self._write_forever, name="exemplars", daemon=True)
        self._writer.start()

    def _write_forever(self) -> None:
        while True:
            self._changed.wait()
            self._changed.clear()
            with contextlib.suppress(OSError):  # a full disk costs exemplars, nothing else
                self.write()
            time.sleep(WRITE_EVERY_SECONDS)

    def write(self) -> None:
        rows = [
            [name, list(labelvalues), floatToGoString(self._bounds[name][index]), *kept]
            for (name, labelvalues, index), kept in list(self._latest.items())
        ]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows))
        tmp.replace(self.path)  # the scrape never reads half a file


def _read_all(directory: Path) -> dict[tuple[str, tuple[str, ...], str], Exemplar]:
    """Every worker's exemplars, the newest per bucket."""
    newest: dict[tuple[str, tuple[str, ...], str], Exemplar] = {}
    for path in directory.glob(f"{FILE_PREFIX}*.json"):
        try:
            rows = json.loads(path.read_text())
        except (OSError, ValueError):  # the worker is gone, or wrote nothing yet
            continue
        for name, labelvalues, le, labels, value, timestamp in rows:
            key = (name, tuple(labelvalues), le)
            if key not in newest or newest[key].timestamp < timestamp:
                newest[key] = Exemplar(labels, value, timestamp)
    return newest


def worker_files(directory: Path) -> dict[int, Path]:
    """pid → exemplar file, for the exposition to forget dead workers' files."""
    found = {}
    for path in directory.glob(f"{FILE_PREFIX}*.json"):
        pid = path.stem.removeprefix(FILE_PREFIX)
        if pid.isdigit():
            found[int(pid)] = path
    return found


class WithExemplars(Collector):
    """Another collector's metrics (the multiprocess sum), with the workers' exemplars
    on the buckets of the histograms in HISTOGRAM_LABELS."""

    def __init__(self, inner: Collector, directory: Path) -> None:
        self.inner = inner
        self.directory = Path(directory)

    def collect(self) -> Iterator:
        exemplars = _read_all(self.directory)
        for family in self.inner.collect():
            names = HISTOGRAM_LABELS.get(family.name)
            if names is not None and exemplars:
                family.samples = [_attach(s, family.name, names, exemplars) for s in family.samples]
            yield family


def _attach(sample, family: str, names: tuple[str, ...], exemplars: dict):
    if not sample.name.endswith("_bucket"):
        return sample
    key = (family, tuple(sample.labels.get(n, "") for n in names), sample.labels.get("le"))
    exemplar = exemplars.get(key)
    return sample if exemplar is None else sample._replace(exemplar=exemplar)

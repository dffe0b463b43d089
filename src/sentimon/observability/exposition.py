"""The /metrics payload, for one process or summed across `--workers N` processes.

With several workers, prometheus_client's multiprocess mode keeps each worker's
values in files under PROMETHEUS_MULTIPROC_DIR and sums them at scrape time.
That mode cannot run the process collector, so WorkerProcessCollector reports
each live worker's CPU and memory with a `pid` label instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from sentimon.observability.exemplars import WithExemplars, worker_files
from sentimon.observability.gpu import gpu_collector
from sentimon.observability.workers import WorkerRestartsCollector

_PID_IN_FILE = re.compile(r"_(\d+)\.db$")


def _worker_pids(directory: Path) -> set[int]:
    return {int(m.group(1)) for name in os.listdir(directory) if (m := _PID_IN_FILE.search(name))}


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class WorkerProcessCollector(Collector):
    """process_* metrics per live worker, labelled by pid (multiprocess mode only)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self):
        cpu = CounterMetricFamily(
            "process_cpu_seconds", "Worker CPU time, user and system.", labels=["pid"]
        )
        rss = GaugeMetricFamily(
            "process_resident_memory_bytes", "Worker resident memory.", labels=["pid"]
        )
        vms = GaugeMetricFamily(
            "process_virtual_memory_bytes", "Worker virtual memory.", labels=["pid"]
        )
        start = GaugeMetricFamily(
            "process_start_time_seconds", "Worker start, Unix time.", labels=["pid"]
        )
        fds = GaugeMetricFamily("process_open_fds", "Worker open file descriptors.", labels=["pid"])
        for pid in sorted(_worker_pids(self.directory)):
            try:
                proc = psutil.Process(pid)
                with proc.oneshot():
                    times, memory = proc.cpu_times(), proc.memory_info()
                    label = [str(pid)]
                    cpu.add_metric(label, times.user + times.system)
                    rss.add_metric(label, memory.rss)
                    vms.add_metric(label, memory.vms)
                    start.add_metric(label, proc.create_time())
                    fds.add_metric(label, proc.num_fds())
            except psutil.Error:  # the worker exited between listing and reading
                continue
        yield from (cpu, rss, vms, start, fds)


class MetricsExposition:
    """Renders the exposition for the registry the metrics live on."""

    def __init__(self, registry: CollectorRegistry, multiprocess_dir: Path | None) -> None:
        self.registry = registry
        self.multiprocess_dir = multiprocess_dir
        self.gpu = gpu_collector()
        self.restarts = WorkerRestartsCollector(multiprocess_dir)
        if multiprocess_dir is None:
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            registry.register(self.restarts)
            if self.gpu is not None:
                registry.register(self.gpu)

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The payload in the format the scraper asks for: OpenMetrics (with exemplars)
        when its Accept header names it, as Prometheus's does; else the text format."""
        encode, content_type = choose_encoder(accept or "")
        if self.multiprocess_dir is None:
            return encode(self.registry), content_type
        self._forget_dead_workers()
        scrape = CollectorRegistry()
        summed = multiprocess.MultiProcessCollector(None, path=str(self.multiprocess_dir))
        scrape.register(WithExemplars(summed, self.multiprocess_dir))
        scrape.register(WorkerProcessCollector(self.multiprocess_dir))
        scrape.register(self.restarts)
        if self.gpu is not None:
            scrape.register(self.gpu)
        return encode(scrape), content_type

    def _forget_dead_workers(self) -> None:
        """Drop live-gauge and exemplar files of workers that died without a clean shutdown."""
        for pid in _worker_pids(self.multiprocess_dir):
            if not _alive(pid):
                multiprocess.mark_process_dead(pid, str(self.multiprocess_dir))
        for pid, path in worker_files(self.multiprocess_dir).items():
            if not _alive(pid):
                path.unlink(missing_ok=True)

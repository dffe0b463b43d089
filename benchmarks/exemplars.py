"""What the exemplars on the latency histograms cost per request, in process.

    python benchmarks/exemplars.py

One request's metrics (`HttpMetrics.observe`, the four request metrics) timed side by
side, in interleaved rounds, medians:
- without an exemplar: what it cost before;
- with one, one process: prometheus_client validates the labels and keeps it per bucket;
- with several workers: the observation as before plus `ExemplarStore.record` (the
  multiprocess mode itself ignores exemplars), the file it writes once a second aside.
The model's inference histogram pays the same once per batch. No series is added:
exemplars ride on the existing buckets (tests/integration/test_exemplars.py).
"""

import statistics
import sys
import tempfile
import time

from prometheus_client import CollectorRegistry

from sentimon.observability.exemplars import ExemplarStore, request_exemplar
from sentimon.observability.http_metrics import HttpMetrics

ROUNDS, CALLS = 7, 20_000
LABELS = ("/predict", "POST", "200")
REQUEST_ID, TRACE_ID = "9f1c0e3a5b7d4c2e8a6f0b1d3c5e7a9b", "4bf92f3577b34da6a3ce929d0e0e4736"


def _time(observe) -> float:
    """Microseconds per call."""
    start = time.perf_counter()
    for i in range(CALLS):
        observe(0.0004 + (i % 50) * 0.0002)
    return (time.perf_counter() - start) / CALLS * 1e6


def main() -> None:
    plain = HttpMetrics(CollectorRegistry())
    one_process = HttpMetrics(CollectorRegistry())
    # The store's writer thread may be writing its file as the directory goes.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as scratch:
        store = ExemplarStore(scratch)
        workers = HttpMetrics(CollectorRegistry(), store)
        variants = {
            "no exemplar": lambda s: plain.observe(LABELS, s, 60, 250),
            "exemplar, one process": lambda s: one_process.observe(
                LABELS, s, 60, 250, request_exemplar(REQUEST_ID, None)
            ),
            "exemplar with trace id, one process": lambda s: one_process.observe(
                LABELS, s, 60, 250, request_exemplar(REQUEST_ID, TRACE_ID)
            ),
            "exemplar, several workers": lambda s: workers.observe(
                LABELS, s, 60, 250, request_exemplar(REQUEST_ID, None)
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(ROUNDS):
            for name, observe in variants.items():
                times[name].append(_time(observe))
    base = statistics.median(times["no exemplar"])
    out = [f"HttpMetrics.observe, {ROUNDS} interleaved rounds of {CALLS:,} calls, medians"]
    for name, samples in times.items():
        median = statistics.median(samples)
        out.append(f"  {name:38} {median:6.2f} µs   +{median - base:5.2f} µs")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

"""The dashboard panels the tests expect data in, each found by text only its queries hold,
and how a test asks a live Prometheus for them; shared by the native stack's test and the
one under the Prometheus Operator's labels."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable

import httpx
from servers import wait_until

# The panels the issue names, each found by the metric its query reads.
CORE_PANELS = {
    "requests per second": "rate(http_requests_total",
    "error rate": 'status=~"5.."}[1m])) or 0 * sum(rate(http_requests_total',
    "p95 latency": "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds",
    "inference time": "model_inference_duration_seconds_bucket",
    "confidence": "model_confidence_sum",
    "CPU": "node_cpu_seconds_total",
    "memory": "node_memory_MemAvailable_bytes",
    "disk space": "node_filesystem_avail_bytes",
    "disk IO": "node_disk_read_bytes_total",
    "network": "node_network_receive_bytes_total",
}


# The other panels the specification names, each found by text only its queries hold.
# Every query that holds it must have data: a panel of several queries shows each.
SPECIFIED_PANELS = {
    # Overview: the hosts at a glance
    "overview CPU gauge": 'max(sum by (instance) (rate(node_cpu_seconds_total{job=~"node|',
    "overview memory gauge": 'max(1 - node_memory_MemAvailable_bytes{job=~"node|node-exporter"}',
    "overview disk gauge": 'max(1 - node_filesystem_avail_bytes{job=~"node|node-exporter"',
    # API
    "mean response time": "rate(http_request_duration_seconds_sum",
    "response time heatmap": "increase(http_request_duration_seconds_bucket",
    "5xx by route": 'sum by (handler) (rate(http_requests_total{job="sentimon", instance=~".*", '
    'handler=~".*", status=~"5.."}',
    "4xx by route": 'sum by (handler) (rate(http_requests_total{job="sentimon", instance=~".*", '
    'handler=~".*", status=~"4.."}',
    "request body quantiles": "rate(http_request_size_bytes_bucket",
    "request body heatmap": "increase(http_request_size_bytes_bucket",
    "4xx versus 5xx": 'sum(rate(http_requests_total{job="sentimon", instance=~".*", handler=~".*", '
    'status=~"4.."}',
    # Model
    "mean inference time": "rate(model_inference_duration_seconds_sum",
    # Server
    "CPU per core": "sum by (instance, cpu)",
    "CPU time by mode": "sum by (instance, mode)",
    "memory buffers and cache": "node_memory_SReclaimable_bytes",
    "swap used (0 without swap)": "node_memory_SwapFree_bytes",
    "inodes": "node_filesystem_files_free",
    "disk reads / s": "node_disk_reads_completed_total",
    "disk writes / s": "node_disk_writes_completed_total",
    "network packets in": "node_network_receive_packets_total",
    "network packets out": "node_network_transmit_packets_total",
    "network errors": "_errs_total",
    "network drops": "_drop_total",
}


def has_number(result: list[dict]) -> bool:
    """Whether an instant-query result holds a finite value."""
    return any(math.isfinite(float(sample["value"][1])) for sample in result)


def query_errors(prometheus: str, queries: Iterable[str]) -> dict[str, str]:
    """The queries Prometheus at `prometheus` refuses, with its answer."""
    errors = {}
    for expr in queries:
        response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr})
        if response.status_code != 200 or response.json()["status"] != "success":
            errors[expr] = response.text
    return errors


def wait_for_panel_data(
    query: Callable[[str], list[dict]], dashboard_queries: list[str], panels: dict[str, str]
) -> dict[str, str]:
    """Wait up to 45 s for a number from every dashboard query holding each panel's text;
    returns the panels still without one (and their query), {} when all have data."""
    by_panel = {
        panel: [q for q in dashboard_queries if text in q] for panel, text in panels.items()
    }
    assert all(by_panel.values()), [panel for panel, queries in by_panel.items() if not queries]

    def empty() -> dict[str, str]:
        return {
            panel: expr
            for panel, queries in by_panel.items()
            for expr in queries
            if not has_number(query(expr))
        }

    # On a timeout the caller's assertion names the panels and queries still empty.
    with contextlib.suppress(TimeoutError):
        wait_until(lambda: not empty(), 45, "data in every panel", interval=1)
    return empty()

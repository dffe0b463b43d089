"""The console's charts: a fixed catalogue, each built from the sentimon.queries functions
the Grafana dashboards use, for a concrete selector and a window chosen per time range.

The browser names a chart id and a range from RANGES; nothing else reaches Prometheus.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from sentimon.queries import api, host, model
from sentimon.queries.promql import NODE_JOB, SENTIMON_JOB, expand
from sentimon.queries.rule_source import AlertLines


class Scope(Enum):
    """Which series a chart reads; each has one concrete selector in the console."""

    API = "api"
    MODEL = "model"
    QUALITY = "quality"  # model_quality.yml recordings, pooled per job
    NODE = "node"


# The scrape jobs (Node Exporter's under its native and its Operator name); the dashboards'
# $instance, $model and $node variables stand where these are.
SELECTORS = {
    Scope.API: SENTIMON_JOB,
    Scope.MODEL: SENTIMON_JOB,
    Scope.QUALITY: SENTIMON_JOB,
    Scope.NODE: NODE_JOB,
}


@dataclass(frozen=True)
class TimeRange:
    """A range the picker offers: how far back, and how finely."""

    name: str
    seconds: int

    @property
    def step_seconds(self) -> int:
        return self.seconds // 180  # about 180 points a line: 5 s, 20 s, 2 min

    def window_seconds(self, scrape_seconds: float) -> int:
        """The rate window: as Grafana's $__rate_interval, at least four scrapes."""
        return round(max(4 * scrape_seconds, self.step_seconds + scrape_seconds))


RANGES = {r.name: r for r in (TimeRange("15m", 900), TimeRange("1h", 3600), TimeRange("6h", 21600))}
DEFAULT_RANGE = "1h"


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str
    """A series name; {{label}} is replaced by the series' label value, as in Grafana."""


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    unit: str
    """Grafana's unit names: reqps, percentunit, s, short, Bps."""
    scope: Scope
    build: Callable[[str], tuple[Query, ...]]
    """The queries for a selector (with `$__rate_interval` as the window)."""
    dashboard: str
    """The Grafana dashboard (deploy/grafana/dashboards/<stem>.json) with the same panel."""
    description: str = ""
    threshold: Callable[[AlertLines], float] | None = None
    """The alert threshold drawn as a line."""
    kind: str = "time"
    """time: lines over the range; bars: one total per histogram bucket over the range."""
    exemplars: str | None = None
    """The histogram whose exemplars a click on the chart lists: that minute's requests."""

    def queries(self, selector: str | None = None) -> tuple[Query, ...]:
        """The expressions for `selector` (default: the console's own for the scope)."""
        return self.build(SELECTORS[self.scope] if selector is None else selector)

    def exemplar_selector(self) -> str | None:
        """What the console asks Prometheus's exemplar API for, with its own selector."""
        if self.exemplars is None:
            return None
        return f"{self.exemplars}_bucket{{{SELECTORS[self.scope]}}}"

    def concrete(self, time_range: TimeRange, scrape_seconds: float) -> tuple[Query, ...]:
        """What the console runs: its selector, and the window this range calls for."""
        if self.kind == "bars":
            window = time_range.seconds  # one total over the whole range
        else:
            window = time_range.window_seconds(scrape_seconds)
        values = {"__rate_interval": f"{window}s"}
        return tuple(Query(expand(q.expr, values), q.legend) for q in self.queries())


_DEVICE = "{{device}}"


def _quantiles(build: Callable[[float], str], qs: tuple[float, ...], suffix: str = ""):
    return tuple(Query(build(q), f"p{round(q * 100)}{suffix}") for q in qs)


CHARTS: tuple[Chart, ...] = (
    Chart(
        "requests", "Requests / s by status", "reqps", Scope.API,
        lambda s: (Query(api.requests_by_status(s), "{{status}}"),),
        "overview",
    ),
    Chart(
        "errors", "5xx share of requests", "percentunit", Scope.API,
        lambda s: (Query(api.error_ratio(s), "5xx share"),),
        "overview", "HighErrorRate fires above the line.",
        threshold=lambda lines: lines.error_share,
    ),
    Chart(
        "latency", "Latency p50 / p95 / p99", "s", Scope.API,
        lambda s: _quantiles(lambda q: api.latency(q, s), (0.5, 0.95, 0.99)),
        "api", "HighRequestLatency fires when p95 stays above the line.",
        threshold=lambda lines: lines.latency_p95_seconds,
        exemplars="http_request_duration_seconds",
    ),
    Chart(
        "inference", "Inference time p50 / p95", "s", Scope.MODEL,
        lambda s: _quantiles(
            lambda q: model.inference_time(q, s, "device"), (0.5, 0.95), " {{device}}"
        ),
        "model", "onnxruntime time per batch; a /predict is a batch of one.",
        exemplars="model_inference_duration_seconds",
    ),
    Chart(
        "confidence", "Confidence distribution", "short", Scope.MODEL,
        lambda s: (Query(model.confidence_buckets(s), "predictions"),),
        "model", "Predictions per 0.05 band of top-class probability over the time range.",
        kind="bars",
    ),
    Chart(
        "mean_confidence", "Mean confidence", "percentunit", Scope.MODEL,
        lambda s: (Query(model.mean_confidence(s), "mean confidence"),),
        "model", "LowModelConfidence fires when this stays below the line.",
        threshold=lambda lines: lines.confidence_floor,
    ),
    Chart(
        "predictions", "Predictions / s by label", "short", Scope.MODEL,
        lambda s: (Query(model.predictions_by_label(s), "{{label}}"),),
        "model", "The prediction mix; a sudden shift is a sign of drift or of a bad model.",
    ),
    Chart(
        "accuracy", "Accuracy: real (feedback) and estimated", "percentunit", Scope.QUALITY,
        lambda s: (
            Query(model.feedback_accuracy(s), "real {{version}}"),
            Query(model.estimated_accuracy(s), "estimated"),
        ),
        "model", "Real: the last hour's feedback saying the model was right. Estimated: from "
        "confidence and the card's calibration. ModelAccuracyLow fires below the line.",
        threshold=lambda lines: lines.accuracy,
    ),
    Chart(
        "drift", "Drift (PSI) by signal", "short", Scope.QUALITY,
        lambda s: (Query(model.drift_psi(s), "{{signal}}"),),
        "model", "Population stability index of the last hour against the model card's "
        "reference; ModelDrift fires above the line.",
        threshold=lambda lines: lines.drift_psi,
    ),
    Chart(
        "cpu", "CPU busy", "percentunit", Scope.NODE,
        lambda s: (Query(host.cpu_busy(s), "{{instance}}"),),
        "server", "HostHighCpu fires above the line.",
        threshold=lambda lines: lines.cpu_busy,
    ),
    Chart(
        "memory", "Memory used", "percentunit", Scope.NODE,
        lambda s: (Query(host.memory_used(s), "{{instance}}"),),
        "server", "HostHighMemory fires above the line.",
        threshold=lambda lines: lines.memory_used,
    ),
    Chart(
        "disk", "Disk used per filesystem", "percentunit", Scope.NODE,
        lambda s: (Query(host.disk_used(s), "{{mountpoint}}"),),
        "server", "Real filesystems only; HostLowDiskSpace fires above the line.",
        threshold=lambda lines: lines.disk_used,
    ),
    Chart(
        "network", "Network received / sent", "Bps", Scope.NODE,
        lambda s: tuple(
            Query(host.per_device_rate(metric, host.network_interfaces(s)), f"{word} {_DEVICE}")
            for metric, word in (
                ("node_network_receive_bytes_total", "in"),
                ("node_network_transmit_bytes_total", "out"),
            )
        ),
        "server",
    ),
)  # fmt: skip

BY_ID = {chart.id: chart for chart in CHARTS}

_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def series_name(legend: str, labels: dict[str, str]) -> str:
    """The legend with each {{label}} replaced by the series' value of that label."""
    return _LABEL.sub(lambda m: labels.get(m.group(1), ""), legend).strip()

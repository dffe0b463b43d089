"""What the dashboards take from deploy/prometheus/rules, so that no number or selector is
written twice: the alert thresholds, which filesystems are real, which CPU time is busy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import yaml

from sentimon import paths


@cache
def _records(file: str) -> dict[tuple[str, str | None], str]:
    """(record name, severity label or None) -> expression, for one rule file."""
    document = yaml.safe_load((paths.rules_dir() / file).read_text())
    return {
        (rule["record"], rule.get("labels", {}).get("severity")): rule["expr"]
        for group in document["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def threshold(name: str, severity: str | None = None) -> float:
    """The constant of `sentimon:threshold:<name>` (thresholds.yml writes `vector(0.5)`)."""
    expr = _records("thresholds.yml")[f"sentimon:threshold:{name}", severity]
    match = re.fullmatch(r"\s*vector\(([0-9.]+)\)\s*", expr)
    if match is None:
        raise ValueError(f"sentimon:threshold:{name} is not vector(<number>): {expr!r}")
    return float(match.group(1))


def _matcher(record: str, label: str) -> str:
    """The first `label=~"..."` or `label!~"..."` matcher in a node.yml recording rule."""
    expr = _records("node.yml")[record, None]
    match = re.search(rf'{label}[!=]~"[^"]*"', expr)
    if match is None:
        raise ValueError(f"{record} has no {label} matcher")
    return match.group(0)


def real_filesystem() -> str:
    """The fstype matcher of instance:node_filesystem_avail:ratio."""
    return _matcher("instance:node_filesystem_avail:ratio", "fstype")


def cpu_busy_modes() -> str:
    """The mode matcher of instance:node_cpu_busy:ratio_rate5m (idle, iowait, steal excluded)."""
    return _matcher("instance:node_cpu_busy:ratio_rate5m", "mode")


@dataclass(frozen=True)
class AlertLines:
    """The thresholds the alerts use, for the lines and colours that show how close they are."""

    error_share: float  # HighErrorRate (critical)
    error_share_warning: float  # HighErrorRate (warning)
    latency_p95_seconds: float  # HighRequestLatency
    confidence_floor: float  # LowModelConfidence
    drift_psi: float  # ModelDrift
    accuracy: float  # ModelAccuracyLow (real accuracy, from feedback)
    accuracy_min_feedback: int  # ModelAccuracyLow
    drift_min_predictions: int  # drift and the accuracy estimate
    cpu_busy: float  # HostHighCpu (critical)
    cpu_busy_warning: float  # HostHighCpu (warning)
    memory_used: float  # HostHighMemory (critical)
    memory_used_warning: float  # HostHighMemory (warning)
    disk_used: float  # HostLowDiskSpace (critical; thresholds.yml holds the free share)
    disk_used_warning: float  # HostLowDiskSpace (warning)


@cache
def alert_lines() -> AlertLines:
    """Read from thresholds.yml on first use; the same numbers the alerts compare with."""
    return AlertLines(
        error_share=threshold("error_ratio", "critical"),
        error_share_warning=threshold("error_ratio", "warning"),
        latency_p95_seconds=threshold("latency_p95_seconds"),
        confidence_floor=threshold("confidence_mean"),
        drift_psi=threshold("drift_psi"),
        accuracy=threshold("accuracy"),
        accuracy_min_feedback=int(threshold("accuracy_min_feedback")),
        drift_min_predictions=int(threshold("drift_min_predictions")),
        cpu_busy=threshold("cpu_busy_ratio", "critical"),
        cpu_busy_warning=threshold("cpu_busy_ratio", "warning"),
        memory_used=threshold("memory_used_ratio", "critical"),
        memory_used_warning=threshold("memory_used_ratio", "warning"),
        disk_used=round(1 - threshold("disk_free_ratio", "critical"), 6),
        disk_used_warning=round(1 - threshold("disk_free_ratio", "warning"), 6),
    )

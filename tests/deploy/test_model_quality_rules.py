"""rules/model_quality.yml: generated from the shipped card, and computing in PromQL the
PSI and the accuracy estimate that numpy computes (sentimon.quality.signals)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import yaml
from prometheus_client import CollectorRegistry

from sentimon.model.artifact import default_model_dir, load_artifact
from sentimon.observability.metrics import ModelMetrics
from sentimon.quality.rules import DEFAULT_WINDOW
from sentimon.quality.signals import (
    INF,
    calibration,
    drift_signals,
    estimated_accuracy,
    psi,
)
from sentimon.quality.write import is_current, render_file, rules_file, written_window

RULES_FILE = rules_file()
RULES = RULES_FILE.parent
STEPS = 240  # an hour of 15-second scrapes


@pytest.fixture(scope="module")
def card() -> dict:
    return load_artifact(default_model_dir()).card


def test_committed_rules_are_what_the_shipped_card_gives(card):
    assert is_current(RULES_FILE, card), "stale: run make generate"
    assert written_window(RULES_FILE.read_text(encoding="utf-8")) == DEFAULT_WINDOW


def test_a_file_for_another_card_or_window_is_stale_or_current_as_written(card, tmp_path):
    path = tmp_path / "model_quality.yml"
    path.write_text(render_file(card, "2h"), encoding="utf-8")
    assert is_current(path, card) and written_window(path.read_text()) == "2h"
    assert "[2h]" in path.read_text() and "[1h]" not in path.read_text()
    other = {**card, "version": "9.9.9"}
    assert not is_current(path, other)
    assert not is_current(tmp_path / "missing.yml", card)


def test_every_bin_is_a_bucket_the_service_exports(card):
    registry = CollectorRegistry()
    metrics = ModelMetrics(registry)
    metrics.confidence.labels("sentimon-bilstm", "2.0.0").observe(0.5)
    metrics.input_tokens.labels("sentimon-bilstm").observe(5)
    metrics.unknown_ratio.labels("sentimon-bilstm").observe(0.5)
    exported: dict[str, set[str]] = {}
    for family in registry.collect():
        for sample in family.samples:
            if "le" in sample.labels:
                exported.setdefault(family.name, set()).add(sample.labels["le"])
    for signal in drift_signals(card):
        if signal.kind == "histogram":
            assert set(signal.bins) <= exported.get(signal.metric, set()) | {INF}, signal.name
        assert sum(signal.reference) == pytest.approx(1.0), signal.name


def _series(metric: str, labels: str, per_step: int) -> dict:
    return {"series": f"{metric}{{{labels}}}", "values": f"0+{per_step}x{STEPS}"}


def _replica_series(instance: str, counts: dict[str, np.ndarray], signals) -> list[dict]:
    """Input series of one replica whose every scrape adds ``counts[signal]`` per bin."""
    out = []
    base = f'job="sentimon", instance="{instance}", model="sentimon-bilstm"'
    for signal in signals:
        per_bin = counts[signal.name]
        if signal.kind == "labels":
            for label, n in zip(signal.bins, per_bin, strict=True):
                if n:  # a label never predicted has no series, as in the service
                    out.append(_series(signal.metric, f'{base}, label="{label}"', int(n)))
            continue
        extra = ', version="2.0.0"' if signal.name == "confidence" else ""
        cumulative = np.cumsum(per_bin)
        for le, n in zip(signal.bins, cumulative, strict=True):
            if le != INF:
                out.append(_series(f"{signal.metric}_bucket", f'{base}{extra}, le="{le}"', n))
        total = int(cumulative[-1])
        out.append(_series(f"{signal.metric}_bucket", f'{base}{extra}, le="+Inf"', total))
        out.append(_series(f"{signal.metric}_count", f"{base}{extra}", total))
    return out


def _close(expr: str, expected: float, labels: str) -> dict:
    return {
        "expr": f"abs({expr} - {expected!r}) < bool 1e-6",
        "eval_time": "1h",
        "exp_samples": [{"labels": labels, "value": 1}],
    }


def test_promql_psi_and_estimate_match_numpy_over_two_replicas(card, promtool, tmp_path):
    signals = drift_signals(card)
    rng = np.random.default_rng(7)
    n = 12  # predictions per replica per scrape
    replicas = {}
    for instance in ("api-1:8000", "api-2:8000"):
        counts = {}
        for signal in signals:
            # A skewed draw that leaves some bins empty, as live traffic does.
            weights = rng.dirichlet(np.full(len(signal.bins), 0.3))
            counts[signal.name] = rng.multinomial(n, weights)
        replicas[instance] = counts
    pooled = {s.name: sum(r[s.name] for r in replicas.values()) for s in signals}
    selector = '{job="sentimon", model="sentimon-bilstm"'
    tests = [
        _close(
            f'sentimon:model_drift:psi{{signal="{s.name}"}}',
            psi(pooled[s.name], np.asarray(s.reference)),
            f'{selector}, signal="{s.name}"}}',
        )
        for s in signals
    ]
    tests.append(
        _close(
            "sentimon:model_accuracy:estimated",
            estimated_accuracy(pooled["confidence"], calibration(card)),
            f"{selector}}}",
        )
    )
    document = {
        "rule_files": [str(RULES / "thresholds.yml"), str(RULES_FILE)],
        "evaluation_interval": "15s",
        "group_eval_order": ["sentimon.thresholds", "sentimon.model_quality"],
        "tests": [
            {
                "interval": "15s",
                "input_series": [
                    s
                    for instance, counts in replicas.items()
                    for s in _replica_series(instance, counts, signals)
                ],
                "promql_expr_test": tests,
            }
        ],
    }
    path = tmp_path / "model_quality_numpy.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    result = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_numpy_psi_is_zero_on_the_reference_and_finite_on_empty_bins():
    reference = np.array([0.5, 0.5, 0.0])
    assert psi(np.array([50, 50, 0]), reference) == pytest.approx(0.0)
    assert np.isfinite(psi(np.array([0, 0, 10]), reference))
    assert psi(np.array([0, 0, 10]), reference) > 5
    assert np.isnan(psi(np.array([0, 0, 0]), reference))


def test_numpy_psi_is_the_textbook_sum():
    live, reference = np.array([30, 50, 20]), np.array([0.2, 0.5, 0.3])
    p = live / live.sum()
    assert psi(live, reference) == pytest.approx(
        float(np.sum((p - reference) * np.log(p / reference)))
    )


def test_calibration_uses_mid_points_for_thin_bins(card):
    table = calibration(card)
    rows = card["metrics"]["calibration"]["reliability"]
    assert len(table.accuracy) == len(rows) == 20
    for row, accuracy in zip(rows, table.accuracy, strict=True):
        if row["count"] >= 20:
            assert accuracy == row["accuracy"]
        else:
            assert accuracy == pytest.approx(row["upper_bound"] - 0.025)
    # On the test split itself the estimate gives back the test accuracy.
    counts = [row["count"] for row in rows]
    thin = sum(c for c in counts if c < 20)
    assert estimated_accuracy(counts, table) == pytest.approx(
        table.test_accuracy, abs=thin / sum(counts)
    )

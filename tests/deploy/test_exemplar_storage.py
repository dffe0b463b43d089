"""Prometheus keeps the exemplars sentimon sends (docs/metrics.md#exemplars) in all three
ways of running: the native launcher, Compose and kube-prometheus-stack."""

from __future__ import annotations

from pathlib import Path

import yaml

from sentimon.stack.components import BY_NAME
from sentimon.stack.layout import Layout
from sentimon.stack.settings import StackSettings

ROOT = Path(__file__).resolve().parents[2]
FLAG = "--enable-feature=exemplar-storage"


def test_the_native_stack_runs_prometheus_with_exemplar_storage(tmp_path):
    argv = BY_NAME["prometheus"].argv("prometheus", StackSettings(), Layout(tmp_path))
    assert FLAG in argv


def test_compose_runs_prometheus_with_exemplar_storage():
    services = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]
    assert FLAG in services["prometheus"]["command"]


def test_kube_prometheus_stack_values_enable_exemplar_storage():
    values = yaml.safe_load(
        (ROOT / "deploy" / "k8s" / "kube-prometheus-stack.values.yaml").read_text()
    )
    assert "exemplar-storage" in values["prometheus"]["prometheusSpec"]["enableFeatures"]

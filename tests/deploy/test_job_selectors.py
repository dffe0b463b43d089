"""Every query of Node Exporter's series selects its job as promql.NODE_JOB does, so the
host rules, dashboards and console charts work natively and in Compose (job "node") and
under kube-prometheus-stack (job "node-exporter"), and never count another job's node_*."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sentimon.console.charts import CHARTS
from sentimon.queries.promql import NODE_JOB

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))

# A node_* series, with its matchers if it has any; recorded names such as
# instance:node_memory_used:ratio are not Node Exporter's series.
_NODE_SERIES = re.compile(r"(?<![\w:])(node_\w+)(?![\w:])\s*(\{[^}]*\})?")


def unportable(expr: str) -> list[str]:
    """The node_* selectors of an expression that do not carry NODE_JOB's matcher."""
    return [
        match.group(0)
        for match in _NODE_SERIES.finditer(expr)
        if NODE_JOB not in (match.group(2) or "")
    ]


def node_selectors(expr: str) -> int:
    return len(_NODE_SERIES.findall(expr))


def rule_exprs() -> Iterator[tuple[str, str]]:
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield f"{path.name}: {rule.get('record') or rule.get('alert')}", rule["expr"]


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    """Every panel query and every variable query of the committed dashboards."""
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        panels = list(dashboard.get("panels", []))
        panels += [inner for panel in panels for inner in panel.get("panels", [])]
        for panel in panels:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    yield f"{path.name}: {panel.get('title')}", target["expr"]
        for variable in dashboard.get("templating", {}).get("list", []):
            query = variable.get("query")
            if isinstance(query, dict):
                query = query.get("query")
            if isinstance(query, str) and query:
                yield f"{path.name}: ${variable['name']}", query


def chart_exprs() -> Iterator[tuple[str, str]]:
    for chart in CHARTS:
        for query in chart.queries():
            yield f"console {chart.id}", query.expr


SOURCES = {"rules": rule_exprs, "dashboards": dashboard_exprs, "console": chart_exprs}


@pytest.mark.parametrize("source", SOURCES)
def test_every_node_exporter_selector_takes_both_job_names(source):
    exprs = list(SOURCES[source]())
    # Scanning nothing would pass; each source reads host series in several places.
    assert sum(node_selectors(expr) for _, expr in exprs) >= 5, source
    offenders = {where: bad for where, expr in exprs if (bad := unportable(expr))}
    assert not offenders, f"select Node Exporter with {NODE_JOB}: {offenders}"


def test_the_rules_and_the_code_name_the_same_jobs():
    """node.yml writes the selector out; it is the constant the dashboards and console use."""
    node_rules = (ROOT / "deploy" / "prometheus" / "rules" / "node.yml").read_text()
    jobs = set(re.findall(r'job=~?"[^"]*"', node_rules))
    assert jobs == {NODE_JOB}
    assert NODE_JOB == 'job=~"node|node-exporter"'


@pytest.mark.parametrize(
    "expr",
    [
        'node_load1{job="node"}',
        'rate(node_cpu_seconds_total{instance=~"$node", mode="idle"}[5m])',
        "label_values(node_uname_info, instance)",
        'node_memory_MemTotal_bytes{job=~"node|node-exporter"} - node_memory_MemFree_bytes',
    ],
)
def test_the_check_catches_a_selector_of_one_mode_or_none(expr):
    assert unportable(expr)


@pytest.mark.parametrize(
    "expr",
    [
        'node_load1{job=~"node|node-exporter", instance=~"$node"}',
        "instance:node_memory_used:ratio > on () group_left () sentimon:threshold:x",
        'up{job="sentimon"}',
    ],
)
def test_the_check_passes_portable_selectors_and_recorded_names(expr):
    assert not unportable(expr)

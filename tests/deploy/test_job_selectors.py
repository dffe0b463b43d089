"""Every query names the job of the series it reads, so that the rules, dashboards and console
charts mean the same natively, in Compose and under kube-prometheus-stack, where one Prometheus
scrapes the whole cluster. Node Exporter's series take promql.NODE_JOB (job "node" natively and
in Compose, "node-exporter" under the Operator); sentimon's own take promql.SENTIMON_JOB, as
another application may expose http_requests_total or model_ready too."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from promql import documented_metrics

from sentimon.console.charts import CHARTS
from sentimon.queries.promql import NODE_JOB, SENTIMON_JOB, STACK_JOBS

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))

# A series name with its matchers if it has any; recorded names such as
# instance:node_memory_used:ratio are neither Node Exporter's nor sentimon's series.
_SERIES = re.compile(r"(?<![\w:])([A-Za-z_]\w*)(?![\w:])\s*(\{[^}]*\})?")


def _selectors(expr: str, is_wanted) -> list[re.Match[str]]:
    return [match for match in _SERIES.finditer(expr) if is_wanted(match.group(1))]


def _is_node(name: str) -> bool:
    return name.startswith("node_")


def unportable(expr: str) -> list[str]:
    """The node_* selectors of an expression that do not carry NODE_JOB's matcher."""
    return [
        match.group(0)
        for match in _selectors(expr, _is_node)
        if NODE_JOB not in (match.group(2) or "")
    ]


def node_selectors(expr: str) -> int:
    return len(_selectors(expr, _is_node))


def without_sentimon_job(expr: str) -> list[str]:
    """Selectors of sentimon's own series (docs/metrics.md) without SENTIMON_JOB."""
    ours = documented_metrics()
    return [
        match.group(0)
        for match in _selectors(expr, ours.__contains__)
        if SENTIMON_JOB not in (match.group(2) or "")
    ]


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


@pytest.mark.parametrize("source", SOURCES)
def test_every_selector_of_sentimons_series_names_its_job(source):
    exprs = list(SOURCES[source]())
    offenders = {where: bad for where, expr in exprs if (bad := without_sentimon_job(expr))}
    assert not offenders, f"select sentimon's series with {SENTIMON_JOB}: {offenders}"


def test_the_sentimon_check_catches_a_bare_series():
    assert without_sentimon_job('min(model_ready{instance=~".*"})')
    assert without_sentimon_job("sum(rate(http_requests_total[1m]))")
    assert not without_sentimon_job('min(model_ready{job="sentimon"})')


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


def test_stack_jobs_are_every_job_of_prometheus_yml_and_node_exporter():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    (alternatives,) = re.fullmatch(r'job=~"([^"]+)"', STACK_JOBS).groups()
    assert set(alternatives.split("|")) == jobs | {"node-exporter"}


def test_target_down_watches_the_stack_jobs_only():
    groups = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules" / "health.yml").read_text())
    (rule,) = [r for g in groups["groups"] for r in g["rules"] if r.get("alert") == "TargetDown"]
    assert rule["expr"].strip() == f"up{{{STACK_JOBS}}} == 0"

"""The rules and dashboards under the Prometheus Operator's labels, with the real Prometheus.

No cluster runs here, so this builds what a cluster's Prometheus sees: two API replicas
serving /metrics on their metrics port (as the Deployment runs them), scraped under the
job and target labels the Operator gives a ServiceMonitor's targets (job from the Service
name, namespace, service, pod, container, endpoint), and the real Node Exporter under
kube-prometheus-stack's job="node-exporter" with the node name as instance. Prometheus
loads the rule groups of the committed PrometheusRule (deploy/k8s), and every dashboard
query runs against it after `sentimon traffic` sends each replica its mix.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from panel_queries import (
    CORE_PANELS,
    SPECIFIED_PANELS,
    has_number,
    query_errors,
    wait_for_panel_data,
)
from servers import ApiServer, free_port, start_api, wait_until

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_RULE = ROOT / "deploy" / "k8s" / "base" / "monitoring" / "prometheusrule.yaml"
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (shutil.which("prometheus") and NODE_EXPORTER),
        reason="prometheus and prometheus-node-exporter are not installed (apt-get install "
        "prometheus prometheus-node-exporter)",
    ),
]

# What the Operator puts on each target of ServiceMonitor sentimon (namespace sentimon)
# and of kube-prometheus-stack's Node Exporter ServiceMonitor.
PODS = ("sentimon-6c9f7d5b8-2xkqp", "sentimon-6c9f7d5b8-q7m4w")
API_TARGET = {
    "namespace": "sentimon",
    "service": "sentimon",
    "container": "api",
    "endpoint": "metrics",
}
NODE_TARGET = {
    "namespace": "monitoring",
    "service": "kube-prometheus-stack-prometheus-node-exporter",
    "pod": "kube-prometheus-stack-prometheus-node-exporter-8hz2c",
    "container": "node-exporter",
    "endpoint": "http-metrics",
}


@dataclass
class Cluster:
    prometheus: str
    replicas: list[ApiServer]
    metrics_ports: list[int]

    def query(self, expr: str) -> list[dict]:
        response = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}, timeout=10)
        assert response.status_code == 200, f"{expr}\n{response.text}"
        return response.json()["data"]["result"]


def _prometheus_config(api_ports: list[int], node_port: int) -> dict:
    return {
        # Fast, so that rates have points within seconds; the rules read windows of minutes.
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["rules.yml"],
        "scrape_configs": [
            {
                "job_name": "serviceMonitor/sentimon/sentimon/0",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{port}"], "labels": {**API_TARGET, "pod": pod}}
                    for port, pod in zip(api_ports, PODS, strict=True)
                ],
                # The Operator's job label: the Service's name.
                "relabel_configs": [{"target_label": "job", "replacement": "sentimon"}],
            },
            {
                "job_name": f"serviceMonitor/monitoring/{NODE_TARGET['service']}/0",
                "static_configs": [{"targets": [f"127.0.0.1:{node_port}"], "labels": NODE_TARGET}],
                # kube-prometheus-stack: job from the Service's jobLabel, instance the node's name.
                "relabel_configs": [
                    {"target_label": "job", "replacement": "node-exporter"},
                    {"target_label": "instance", "replacement": "worker-1"},
                ],
            },
        ],
    }


def _process(command: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    work = tmp_path_factory.mktemp("operator")
    processes: list[subprocess.Popen] = []
    replicas: list[ApiServer] = []
    try:
        api_ports = [free_port() for _ in PODS]
        for pod, metrics_port in zip(PODS, api_ports, strict=True):
            env = {
                "SENTIMON_METRICS_PORT": str(metrics_port),
                "SENTIMON_FEEDBACK_KEY": "k" * 40,
                "SENTIMON_FAULT_INJECTION": "true",  # the 5xx of the errors scenario
            }
            replicas.append(start_api(work / pod, env=env))
        node_port = free_port()
        processes.append(
            _process(
                [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{node_port}"],
                work / "node.log",
            )
        )
        rule = yaml.safe_load(PROMETHEUS_RULE.read_text())
        (work / "rules.yml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
        config = work / "prometheus.yml"
        config.write_text(yaml.safe_dump(_prometheus_config(api_ports, node_port), sort_keys=False))
        port = free_port()
        processes.append(
            _process(
                [
                    "prometheus",
                    f"--config.file={config}",
                    f"--storage.tsdb.path={work / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                work / "prometheus.log",
            )
        )
        cluster = Cluster(f"http://127.0.0.1:{port}", replicas, api_ports)
        wait_until(
            lambda: len(cluster.query("up == 1")) == 3, 60, "every target scraped", interval=0.5
        )
        yield cluster
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(10)
        for replica in replicas:
            replica.stop()


def _traffic(replica: ApiServer, seed: int) -> subprocess.Popen:
    """`sentimon traffic` against one replica: the normal mix, bad input, then 5xx."""
    command = [sys.executable, "-m", "sentimon", "traffic", "--url", replica.url, "--json"]
    command += ["--scenario", "normal:4,errors:2", "--rps", "15", "--bad-input", "20"]
    command += ["--feedback", "30", "--seed", str(seed)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _send_traffic(cluster: Cluster, seed: int) -> list[dict]:
    """Each replica its mix, side by side; the generators' summaries."""
    running = [_traffic(replica, seed + i) for i, replica in enumerate(cluster.replicas)]
    summaries = []
    for process in running:
        out, err = process.communicate(timeout=90)
        assert process.returncode == 0, err
        summaries.append(json.loads(out))
    return summaries


@pytest.fixture(scope="module")
def traffic(cluster) -> list[dict]:
    return _send_traffic(cluster, seed=1)


def test_the_targets_carry_the_operators_labels(cluster):
    api = cluster.query('up{job="sentimon"}')
    assert sorted(s["metric"]["pod"] for s in api) == sorted(PODS)
    assert {s["metric"]["namespace"] for s in api} == {"sentimon"}
    (node,) = cluster.query('up{job="node-exporter"}')
    assert node["metric"]["instance"] == "worker-1"


def _recorded(cluster: Cluster, record: str) -> list[dict]:
    """The series of a recording rule, once it has a number."""
    return wait_until(
        lambda: has_number(series := cluster.query(record)) and series,
        45,
        f"{record} recorded",
        interval=1,
    )


def test_the_api_recordings_pool_the_replicas_into_one_series_per_job(cluster, traffic):
    for record in (
        "sentimon:http_requests:rate5m",
        "sentimon:http_errors:ratio_rate5m",
        "sentimon:http_request_duration_seconds:p95_5m",
        "sentimon:model_confidence:mean_5m",
    ):
        result = _recorded(cluster, record)
        assert [s["metric"].get("job") for s in result] == ["sentimon"], result
        assert not {"pod", "namespace", "instance"} & set(result[0]["metric"]), result


def test_the_host_recordings_see_node_exporter_under_its_operator_job(cluster):
    for record in (
        "instance:node_cpu_busy:ratio_rate5m",
        "instance:node_memory_used:ratio",
        "instance:node_filesystem_avail:ratio",
    ):
        result = _recorded(cluster, record)
        assert {s["metric"]["job"] for s in result} == {"node-exporter"}
        assert {s["metric"]["instance"] for s in result} == {"worker-1"}


def test_no_alert_fires_for_a_healthy_cluster(cluster, traffic):
    firing = cluster.query('ALERTS{alertstate="firing", alertname=~"TargetDown|HostHighMemory"}')
    assert firing == []


def test_every_dashboard_query_evaluates(cluster, dashboard_queries):
    errors = query_errors(cluster.prometheus, dashboard_queries)
    assert not errors, errors


def test_every_named_panel_shows_data_under_the_operators_labels(
    cluster, dashboard_queries, traffic
):
    # Fresh traffic: a mean over a 1m window of no requests is 0 / 0, not a number.
    _send_traffic(cluster, seed=3)
    panels = {**CORE_PANELS, **SPECIFIED_PANELS}
    missing = wait_for_panel_data(cluster.query, dashboard_queries, panels)
    assert not missing, f"panels without data: {missing}"


def test_the_instance_variable_lists_every_replica(cluster):
    from sentimon_generate.dashboards.variables import instance_variable

    query = instance_variable().build().query  # label_values(up{job="sentimon"}, instance)
    selector = query[len("label_values(") : query.rindex(",")]
    instances = {s["metric"]["instance"] for s in cluster.query(selector)}
    assert instances == {f"127.0.0.1:{port}" for port in cluster.metrics_ports}

"""deploy/compose.yaml with real containers: `sentimon compose up` (make compose-up) on
this machine's engine, then the API, Prometheus, Alertmanager, Node Exporter and the
alert receiver are driven through their published ports and Compose's own commands.

One project of its own (ports, subnet, volumes), so a stack a person runs is untouched;
its volumes are removed at the end. The tests run in file order on one stack.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from servers import free_port, start_rsyslog_socket, wait_until

from sentimon.compose.engine import EngineError, find_engine, stop_helpers
from sentimon.compose.project import Project

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROJECT = "sentimon-compose-test"
SUBNET, GATEWAY = "172.28.250.0/24", "172.28.250.1"

pytestmark = [pytest.mark.compose, pytest.mark.timeout(1500)]


@dataclass
class ComposeStack:
    project: Project
    env: dict[str, str]
    api: str
    prometheus: str
    alertmanager: str
    up_output: str = ""
    """What `sentimon compose up` printed."""

    def sentimon(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "sentimon", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def compose(self, *args: str, timeout: float = 300) -> str:
        return self.project.run(*args, timeout=timeout).stdout

    def exec(self, service: str, *command: str) -> subprocess.CompletedProcess:
        return self.project.run("exec", "-T", service, *command, check=False, timeout=60)

    def prometheus_query(self, query: str, **params) -> list[dict]:
        response = httpx.get(
            f"{self.prometheus}/api/v1/query", params={"query": query, **params}, timeout=10
        )
        return response.json()["data"]["result"]

    def received(self) -> list[dict]:
        """The receiver's JSON log lines, one per alert of each notification."""
        lines = self.compose("logs", "--no-log-prefix", "alert-receiver").splitlines()
        return [
            record for record in map(_json_or_none, lines) if record and record.get("alertname")
        ]

    def wait_api_ready(self, timeout: float = 120) -> None:
        wait_until(
            lambda: httpx.get(f"{self.api}/readyz", timeout=5).status_code == 200,
            timeout,
            "the API's /readyz",
            interval=1,
        )


def _json_or_none(line: str) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[ComposeStack]:
    state = tmp_path_factory.mktemp("compose")
    try:
        engine = find_engine(DEPLOY, state)
    except EngineError as exc:
        pytest.skip(f"no container engine here ({exc}); `make install-test` installs podman")
    # Node Exporter shares the host's network: its port is the one fixed port.
    assert _port_free(9100), "port 9100 is taken: Compose's Node Exporter listens there"
    syslog = start_rsyslog_socket(state / "rsyslog")
    no_settings = state / "empty.env"  # a developer's deploy/.env changes nothing here
    no_settings.write_text("")
    ports = {name: free_port() for name in ("api", "prometheus", "alertmanager")}
    env = {
        "COMPOSE_PROJECT_NAME": PROJECT,
        "SENTIMON_COMPOSE_STATE_DIR": str(state),
        "SENTIMON_API_PORT": str(ports["api"]),
        "PROMETHEUS_PORT": str(ports["prometheus"]),
        "ALERTMANAGER_PORT": str(ports["alertmanager"]),
        "SENTIMON_COMPOSE_SUBNET": SUBNET,
        "SENTIMON_COMPOSE_GATEWAY": GATEWAY,
        "SENTIMON_SYSLOG_SOCKET": str(syslog.socket),
        "COMPOSE_ENV_FILES": str(no_settings),
    }
    project = Project(engine, DEPLOY / "compose.yaml", dict(env))
    stack = ComposeStack(
        project,
        env,
        api=f"http://127.0.0.1:{ports['api']}",
        prometheus=f"http://127.0.0.1:{ports['prometheus']}",
        alertmanager=f"http://127.0.0.1:{ports['alertmanager']}",
    )
    up = stack.sentimon("compose", "up", timeout=1500)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        stack.up_output = up.stdout + up.stderr
        yield stack
    finally:
        stack.sentimon("compose", "down")
        project.run("down", "--volumes", check=False)
        stop_helpers(engine, state, PROJECT, api_too=True)
        syslog.stop()


def test_compose_up_names_what_it_left_out_and_what_each_stand_in_holds(stack):
    lines = stack.up_output.splitlines()
    for service in ("api", "alert-receiver", "prometheus", "alertmanager", "node-exporter"):
        assert stack.project.states()[service]["Health"] == "healthy", service
    for service in ("loki", "alloy", "grafana"):
        said = [line for line in lines if line.startswith(f"{service}: ")]
        assert len(said) == 1, lines
        if "left out" in said[0]:
            assert service not in stack.project.states()
    for service in ("prometheus", "alertmanager", "node-exporter"):
        (said,) = [line for line in lines if line.startswith(f"{service}: ")]
        if "stand-in" in said:
            image = stack.project.states()[service]["Image"]
            held = stack.exec(service, "cat", "/etc/sentimon-standin").stdout.split()
            assert held[1].replace("+", "_") in image, (image, held)


def test_the_api_answers_as_the_non_root_user_on_a_read_only_root(stack):
    assert httpx.get(f"{stack.api}/readyz", timeout=10).json()["status"] == "ready"
    answer = httpx.post(f"{stack.api}/predict", json={"text": "What a lovely day"}, timeout=10)
    assert answer.status_code == 200 and answer.json()["label"] == "positive"
    feedback = httpx.post(
        f"{stack.api}/feedback",
        json={"feedback_token": answer.json()["feedback_token"], "label": "positive"},
        timeout=10,
    )
    assert feedback.status_code == 200, feedback.text
    assert stack.exec("api", "id", "-u").stdout.strip() == "10001"
    written = stack.exec("api", "touch", "/opt/sentimon/x")
    assert written.returncode != 0 and "Read-only file system" in written.stderr


def test_prometheus_scrapes_every_service_by_name_and_loads_exactly_the_rule_groups(stack):
    expected_targets = {
        ("sentimon", "api:8000"),
        ("node", "node-exporter:9100"),
        ("alertmanager", "alertmanager:9093"),
        ("prometheus", "prometheus:9090"),
    }

    def all_up() -> bool:
        targets = httpx.get(f"{stack.prometheus}/api/v1/targets", timeout=10).json()
        active = targets["data"]["activeTargets"]
        found = {(t["labels"]["job"], t["labels"]["instance"]) for t in active}
        return found == expected_targets and all(t["health"] == "up" for t in active)

    wait_until(all_up, 90, "every target up, and no other (no Loki, Alloy or Grafana)", 2)
    shipped = [
        group["name"]
        for path in sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
    ]
    loaded = httpx.get(f"{stack.prometheus}/api/v1/rules", timeout=10).json()
    assert sorted(g["name"] for g in loaded["data"]["groups"]) == sorted(shipped)


def test_prometheus_reloads_on_hup_as_documented_and_limits_hold(stack):
    """docs/compose.md: `docker-compose kill -s HUP prometheus` reloads the config (there is
    no lifecycle API); and every container runs under its memory limit."""

    def reloads() -> float:
        result = stack.prometheus_query("prometheus_config_last_reload_success_timestamp_seconds")
        return float(result[0]["value"][1]) if result else 0.0

    before = wait_until(reloads, 60, "Prometheus's first config load", 2)
    time.sleep(1.1)  # the timestamp has whole seconds
    stack.compose("kill", "-s", "HUP", "prometheus")
    wait_until(lambda: reloads() > before, 60, "a reload after HUP", 1)
    assert stack.prometheus_query("prometheus_config_last_reload_successful")[0]["value"][1] == "1"
    for service, limit in (("api", 512 * 2**20), ("prometheus", 2**30)):
        container = stack.project.states()[service]["Name"]
        memory = stack.project.engine.run(
            "inspect", "--format", "{{.HostConfig.Memory}}", container
        ).stdout.strip()
        assert int(memory) == limit, (service, memory)


def test_node_exporter_answers_on_the_hosts_loopback_as_documented(stack):
    metrics = httpx.get("http://127.0.0.1:9100/metrics", timeout=10)
    assert metrics.status_code == 200 and "node_cpu_seconds_total" in metrics.text


def test_the_apis_json_lines_land_where_the_collector_reads_them_and_in_syslog(stack):
    request_id = f"compose-{time.time_ns()}"
    httpx.post(
        f"{stack.api}/predict",
        json={"text": "The parcel arrived"},
        headers={"X-Request-ID": request_id},
        timeout=10,
    )
    # The collector (alloy) mounts the logs volume at SENTIMON_LOG_DIR and reads
    # sentimon*.log there (deploy/collector/config.alloy).
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    alloy = compose["alloy"]
    assert "sentimon-logs:/sentimon/logs:ro" in alloy["volumes"]
    assert alloy["environment"]["SENTIMON_LOG_DIR"] == "/sentimon/logs"
    assert '"%s/sentimon*.log"' in (DEPLOY / "collector" / "config.alloy").read_text()
    volume = f"{PROJECT}_sentimon-logs"
    mountpoint = Path(
        stack.project.engine.run(
            "volume", "inspect", "--format", "{{.Mountpoint}}", volume
        ).stdout.strip()
    )

    def logged() -> list[dict]:
        return [
            record
            for path in mountpoint.glob("sentimon*.log")
            for record in map(_json_or_none, path.read_text().splitlines())
            if record and record.get("request_id") == request_id
        ]

    records = wait_until(logged, 15, f"request {request_id} in the logs volume", 0.5)
    assert records[0]["path"] == "/predict" and records[0]["status"] == 200

    # An error goes to syslog as well, through the host socket mounted at /dev/log.
    failed = httpx.post(
        f"{stack.api}/predict",
        json={"text": "The parcel arrived"},
        headers={"X-Request-ID": f"{request_id}-error", "X-Inject-Fault": "error"},
        timeout=10,
    )
    assert failed.status_code == 500
    syslog_file = Path(stack.env["SENTIMON_SYSLOG_SOCKET"]).parent / "received.log"
    wait_until(
        lambda: f"{request_id}-error" in syslog_file.read_text(errors="replace"),
        15,
        "the failed request's line in the host's syslog",
        0.5,
    )


def test_a_feedback_token_from_before_a_restart_of_the_api_still_counts(stack):
    answer = httpx.post(f"{stack.api}/predict", json={"text": "A dreadful wait"}, timeout=10)
    token = answer.json()["feedback_token"]
    stack.compose("restart", "api")
    stack.wait_api_ready()
    feedback = httpx.post(
        f"{stack.api}/feedback", json={"feedback_token": token, "label": "negative"}, timeout=10
    )
    assert feedback.status_code == 200, feedback.text


def _paged(stack: ComposeStack, status: str) -> bool:
    """Whether the receiver got the availability page with this status."""
    return any(
        r["alertname"] == "AvailabilityBudgetBurn"
        and r["alert_status"] == status
        and r["labels"].get("severity") == "critical"
        for r in stack.received()
    )


def _traffic_until(stack: ComposeStack, scenario: str, rps: int, done, timeout: float, what: str):
    """`sentimon traffic` at the API until done() holds, then stopped."""
    traffic = subprocess.Popen(
        [sys.executable, "-m", "sentimon", "traffic", "--url", stack.api, "--scenario", scenario,
         "--rps", str(rps), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(done, timeout, f"{what} at the receiver", 3)
    finally:
        traffic.terminate()
        traffic.wait(30)


def test_errors_page_through_a_restarted_alertmanager_and_resolve(stack, record_property):
    # Alertmanager restarts first: the receiver must still hear from the new one.
    stack.compose("restart", "alertmanager")
    wait_until(
        lambda: httpx.get(f"{stack.alertmanager}/-/ready", timeout=5).status_code == 200,
        60,
        "Alertmanager ready again",
        1,
    )
    started = time.monotonic()
    _traffic_until(stack, "errors:240", 2, lambda: _paged(stack, "firing"), 240, "the page")
    paged_after = time.monotonic() - started
    # It resolves once the 30m window holds under 0.6% errors (6x the 99.9% objective's
    # budget): a few errors at 2/s, then normal traffic at 150/s, get there in minutes.
    _traffic_until(
        stack, "normal:400", 150, lambda: _paged(stack, "resolved"), 420, "the page resolved"
    )
    # In the junit XML (pytest --junitxml): the figures docs/compose.md quotes.
    record_property("errors_to_page_seconds", round(paged_after))
    record_property("page_to_resolved_seconds", round(time.monotonic() - started - paged_after))


def test_grafanas_password_is_generated_once_and_kept(stack):
    """Grafana itself cannot run here: its one-shot password writer runs as Compose
    starts it before Grafana, and Grafana's account (uid 472, group 0) reads the file."""
    first = stack.compose("run", "--rm", "--no-deps", "grafana-password")
    (line,) = [line for line in first.splitlines() if line.startswith("Grafana admin password")]
    password = line.rsplit(": ", 1)[1]
    assert len(password) >= 24
    again = stack.compose("run", "--rm", "--no-deps", "grafana-password")
    assert "already holds a secret; kept" in again and password not in again
    read = stack.project.run(
        "run", "--rm", "--no-deps", "--user", "472:0", "--entrypoint", "cat",
        "grafana-password", "/run/grafana-secret/admin-password",
        timeout=120,
    )  # fmt: skip
    assert read.stdout.strip().splitlines()[-1] == password


def test_down_then_up_keeps_prometheus_series_and_alertmanager_silences(stack):
    silence = httpx.post(
        f"{stack.alertmanager}/api/v2/silences",
        json={
            "matchers": [{"name": "alertname", "value": "HostHighCpu", "isRegex": False}],
            "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": "2099-01-01T00:00:00Z",
            "createdBy": "test_compose_stack",
            "comment": "kept across down and up",
        },
        timeout=10,
    ).json()["silenceID"]
    before = time.time()
    wait_until(
        lambda: stack.prometheus_query('up{job="sentimon"}', time=before),
        60,
        "a sample of up{job='sentimon'}",
        2,
    )
    # The Alertmanager's silences reach disk on shutdown (and every 15 minutes).
    down = stack.sentimon("compose", "down")
    assert down.returncode == 0, down.stderr
    assert not stack.project.states(), "containers left after compose down"
    up = stack.sentimon("compose", "up", "--no-build")
    assert up.returncode == 0, up.stdout + up.stderr

    series = stack.prometheus_query('count_over_time(up{job="sentimon"}[2m])', time=before)
    assert series and float(series[0]["value"][1]) >= 1, "samples from before down are gone"
    silences = httpx.get(f"{stack.alertmanager}/api/v2/silences", timeout=10).json()
    assert any(s["id"] == silence and s["status"]["state"] == "active" for s in silences)

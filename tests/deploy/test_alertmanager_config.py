"""deploy/alertmanager: amtool accepts it, routes go where docs/alerts.md says, inhibition works."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml
from servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
ALERTMANAGER = ROOT / "deploy" / "alertmanager"
CONFIG = ALERTMANAGER / "alertmanager.yml"
RULES = sorted((ROOT / "deploy" / "prometheus" / "rules").glob("*.yml"))
# `sentimon alerts listen`: Compose's alert-receiver service (native mode renders its own).
WEBHOOK_URL = "http://alert-receiver:9095/alerts"


def _config() -> dict:
    return yaml.safe_load(CONFIG.read_text())


def _receivers() -> dict[str, dict]:
    return {receiver["name"]: receiver for receiver in _config()["receivers"]}


def _alert_label_sets() -> list[dict[str, str]]:
    """The static labels of every alert rule, with its name."""
    label_sets = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    label_sets.append({"alertname": rule["alert"], **rule.get("labels", {})})
    return label_sets


def _routes_test(amtool: str, labels: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={CONFIG}", "--tree"]
        + [f"{name}={value}" for name, value in labels.items()],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_config_is_valid(amtool):
    result = subprocess.run(
        [amtool, "check-config", str(CONFIG)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("labels", "route", "receivers"),
    [
        (
            {"alertname": "HighErrorRate", "severity": "critical", "job": "sentimon"},
            '{severity="critical"}',
            "sentimon-webhook",
        ),
        (
            {"alertname": "HighErrorRate", "severity": "warning", "job": "sentimon"},
            '{severity="warning"}',
            "sentimon-webhook",
        ),
        ({"alertname": "SomethingElse", "job": "node"}, "default-route", "sentimon-webhook"),
        # What switching Slack on looks like: the webhook keeps every alert (continue).
        (
            {"alertname": "TargetDown", "severity": "critical", "notify": "slack"},
            '{notify="slack"}',
            "slack,sentimon-webhook",
        ),
    ],
    ids=["critical", "warning", "no-severity", "slack-when-switched-on"],
)
def test_routes(amtool, labels, route, receivers):
    result = _routes_test(amtool, labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert route in result.stdout
    assert result.stdout.strip().splitlines()[-1] == receivers


@pytest.mark.parametrize("labels", _alert_label_sets(), ids=lambda labels: labels["alertname"])
def test_every_alert_reaches_the_webhook_and_nothing_else_by_default(amtool, labels):
    result = _routes_test(amtool, labels)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "sentimon-webhook"
    assert f'{{severity="{labels["severity"]}"}}' in result.stdout


def test_the_default_receiver_is_the_sentimon_alert_listener():
    config = _config()
    assert config["route"]["receiver"] == "sentimon-webhook"
    assert config["route"]["group_by"] == ["alertname", "job"]
    (webhook,) = _receivers()["sentimon-webhook"]["webhook_configs"]
    assert webhook["url"] == WEBHOOK_URL
    assert webhook["send_resolved"] is True


def test_slack_and_email_read_their_secrets_from_files():
    receivers = _receivers()
    (slack,) = receivers["slack"]["slack_configs"]
    (email,) = receivers["email"]["email_configs"]
    assert slack["api_url_file"].startswith("/etc/alertmanager/secrets/")
    assert email["auth_password_file"].startswith("/etc/alertmanager/secrets/")
    assert "api_url" not in slack
    assert "auth_password" not in email
    assert not {"slack_api_url", "smtp_auth_password"} & set(_config().get("global", {}))


def test_a_critical_inhibits_the_warning_of_the_same_alert_job_instance_and_mountpoint():
    rules = _config()["inhibit_rules"]
    assert {
        "source_matchers": ['severity="critical"'],
        "target_matchers": ['severity="warning"'],
        "equal": ["alertname", "job", "instance", "mountpoint"],
    } in rules
    for rule in rules:
        assert rule.get("equal"), "an inhibit rule without equal labels mutes alerts everywhere"


# ---- a real Alertmanager ----------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    """Stands in for `sentimon alerts listen`: keeps every webhook body."""

    received: list[dict]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args) -> None:  # quiet test output
        pass


@pytest.fixture
def webhook_recorder() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []
    handler = type("Recorder", (_Recorder,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/alerts", received
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def alertmanager(alertmanager_binary, webhook_recorder, tmp_path) -> Iterator[str]:
    """The real Alertmanager with this config, its webhook pointed at the recorder."""
    url, _ = webhook_recorder
    config_dir = tmp_path / "alertmanager"
    shutil.copytree(ALERTMANAGER, config_dir, ignore=shutil.ignore_patterns("secrets"))
    config_file = config_dir / "alertmanager.yml"
    # The shipped routes and inhibitions; only the waits before a group's first
    # notification shortened (10s and 30s to 1s and 3s): these tests are about who is told.
    text = config_file.read_text().replace(WEBHOOK_URL, url)
    text = text.replace("group_wait: 10s", "group_wait: 1s").replace(
        "group_wait: 30s", "group_wait: 3s"
    )
    config_file.write_text(text)
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            alertmanager_binary,
            f"--config.file={config_file}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",  # no gossip port: one instance, nothing to collide
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/-/ready").status_code == 200, 30, "Alertmanager")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _alert(severity: str, job: str) -> dict:
    return {
        "labels": {"alertname": "HighErrorRate", "severity": severity, "job": job},
        "annotations": {"summary": f"{severity} on {job}"},
    }


def _disk_alert(severity: str, mountpoint: str) -> dict:
    """HostLowDiskSpace as node.yml labels it, for one filesystem of one host."""
    labels = {
        "alertname": "HostLowDiskSpace",
        "severity": severity,
        "component": "host",
        "job": "node",
        "instance": "host-a:9100",
        "device": f"/dev/{mountpoint.strip('/') or 'root'}",
        "fstype": "ext4",
        "mountpoint": mountpoint,
    }
    return {"labels": labels, "annotations": {"summary": f"{severity} on {mountpoint}"}}


@pytest.mark.integration
def test_a_critical_mutes_only_its_own_warning(alertmanager, webhook_recorder):
    _, received = webhook_recorder
    alerts = [
        _alert("critical", "sentimon"),
        _alert("warning", "sentimon"),
        _alert("warning", "other"),
    ]
    httpx.post(f"{alertmanager}/api/v2/alerts", json=alerts).raise_for_status()

    def delivered() -> set[tuple[str, str]]:
        return {
            (alert["labels"]["severity"], alert["labels"]["job"])
            for notification in received
            for alert in notification["alerts"]
        }

    # critical: group_wait 1s; the other job's warning: group_wait 3s (shortened above)
    wait_until(lambda: len(delivered()) >= 2, 60, "both notifications", interval=0.5)
    # Both warning groups flush at the same moment: give a wrongly sent one time to land.
    time.sleep(2)
    assert delivered() == {("critical", "sentimon"), ("warning", "other")}
    state = {
        (alert["labels"]["severity"], alert["labels"]["job"]): alert["status"]
        for alert in httpx.get(f"{alertmanager}/api/v2/alerts").json()
    }
    assert state[("warning", "sentimon")]["state"] == "suppressed"
    assert state[("warning", "sentimon")]["inhibitedBy"]
    assert state[("warning", "other")]["inhibitedBy"] == []


@pytest.mark.integration
def test_a_full_filesystem_mutes_its_own_warning_not_another_mountpoints(
    alertmanager, webhook_recorder
):
    _, received = webhook_recorder
    alerts = [
        _disk_alert("critical", "/"),
        _disk_alert("warning", "/"),
        _disk_alert("warning", "/data"),
    ]
    httpx.post(f"{alertmanager}/api/v2/alerts", json=alerts).raise_for_status()

    def delivered() -> set[tuple[str, str]]:
        return {
            (alert["labels"]["severity"], alert["labels"]["mountpoint"])
            for notification in received
            for alert in notification["alerts"]
        }

    # critical: group_wait 1s; both warnings share one group (alertname, job): 3s (shortened)
    wait_until(lambda: ("warning", "/data") in delivered(), 60, "the warning", interval=0.5)
    assert delivered() == {("critical", "/"), ("warning", "/data")}
    state = {
        (alert["labels"]["severity"], alert["labels"]["mountpoint"]): alert["status"]
        for alert in httpx.get(f"{alertmanager}/api/v2/alerts").json()
    }
    assert state[("warning", "/")]["state"] == "suppressed"
    assert state[("warning", "/")]["inhibitedBy"]
    assert state[("warning", "/data")]["inhibitedBy"] == []

"""deploy/prometheus: config and rules pass promtool; every alert is tested and documented."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from promql import documented_metrics, metric_names

from sentimon.stack.check import rule_test_failures

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
COMPOSE_TARGETS = PROMETHEUS / "targets" / "compose"
COMPOSE = ROOT / "deploy" / "compose.yaml"
RUNBOOKS = ROOT / "docs" / "runbooks.md"
ALERTS_DOC = ROOT / "docs" / "alerts.md"
# Generated from deploy/slo/slos.yml (tests/deploy/test_slo_rules.py checks them further).
SLO_RULES = PROMETHEUS / "rules" / "slo.yml"

RUNBOOK_BASE = "https://github.com/sentimon/sentimon/blob/main/docs/runbooks.md"
# The alert table of the design contract: name -> (severity, for).
DESIGN_ALERTS = {
    "HighErrorRate": ("critical", "1m"),
    "LowModelConfidence": ("warning", "2m"),
    "HighRequestLatency": ("warning", "5m"),
    "HostHighCpu": ("critical", "5m"),
    "HostHighMemory": ("critical", "5m"),
    "HostLowDiskSpace": ("critical", "5m"),
    "TargetDown": ("critical", "1m"),
}
# Jobs found by DNS only (Compose's gpu profile), so absent means no target, not down.
DNS_ONLY_JOBS = {"dcgm"}
# Metrics the rules read that sentimon does not expose (docs/metrics.md has those).
NODE_EXPORTER_METRICS = {
    "node_cpu_seconds_total",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
    "node_filesystem_readonly",
}
PROMETHEUS_METRICS = {"up"}


def _run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)


def _assert_ok(result: subprocess.CompletedProcess) -> None:
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"{' '.join(result.args)} exited {result.returncode}:\n{output}"


def _rules() -> Iterator[dict]:
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            yield from group["rules"]


def _alerts() -> list[dict]:
    return [rule for rule in _rules() if "alert" in rule]


def _burn_rate_alerts() -> set[str]:
    """Names of the SLO burn-rate alerts: their objective comes from the SLO spec, and
    their short window, not a `for`, is what makes them wait."""
    groups = yaml.safe_load(SLO_RULES.read_text())["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}


def _alert_tests() -> Iterator[dict]:
    for path in RULE_TESTS:
        for group in yaml.safe_load(path.read_text())["tests"]:
            yield from group.get("alert_rule_test", [])


def _github_anchor(heading: str) -> str:
    anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return anchor.replace(" ", "-")


# ---- the real tools ---------------------------------------------------------------


@pytest.fixture
def compose_layout(tmp_path) -> Path:
    """prometheus.yml, rules/ and targets/ laid out as Compose mounts them in /etc/prometheus."""
    shutil.copy(CONFIG, tmp_path / "prometheus.yml")
    shutil.copytree(PROMETHEUS / "rules", tmp_path / "rules")
    shutil.copytree(COMPOSE_TARGETS, tmp_path / "targets")
    return tmp_path / "prometheus.yml"


def _dns_found_jobs(config: dict) -> set[str]:
    """Jobs Compose finds by DNS, which has a name only while the service runs: the
    optional ones (Loki, Alloy, Grafana; the gpu profile's)."""
    return {job["job_name"] for job in config["scrape_configs"] if "dns_sd_configs" in job}


def test_config_is_valid_as_compose_mounts_it(promtool, compose_layout):
    result = _run(promtool, "check", "config", str(compose_layout))
    _assert_ok(result)
    # Every file_sd file exists in Compose but those of jobs found by DNS there, and the
    # rule files were found and checked.
    optional = _dns_found_jobs(yaml.safe_load(CONFIG.read_text()))
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "WARNING" in line]
    missing = {re.search(r'scrape job "([^"]+)"', line)[1] for line in warnings}
    assert missing == optional - {"sentimon", "dcgm"}, warnings
    assert f"SUCCESS: {len(RULES)} rule files found" in result.stdout + result.stderr


def test_config_is_valid_without_any_targets_file(promtool, tmp_path):
    """Native mode writes targets only for what it runs: a missing file is a job with no targets."""
    shutil.copy(CONFIG, tmp_path / "prometheus.yml")
    shutil.copytree(PROMETHEUS / "rules", tmp_path / "rules")
    result = _run(promtool, "check", "config", str(tmp_path / "prometheus.yml"))
    _assert_ok(result)
    assert "does not exist" in result.stdout + result.stderr  # a warning, not an error


def test_rules_are_valid(promtool):
    _assert_ok(_run(promtool, "check", "rules", *map(str, RULES)))


def test_rule_unit_tests_pass(promtool):
    assert len(RULE_TESTS) >= 5
    assert rule_test_failures(promtool, RULE_TESTS) == []


# ---- prometheus.yml ---------------------------------------------------------------


def test_every_scrape_job_reads_its_own_targets_file():
    config = yaml.safe_load(CONFIG.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"sentimon", "node", "prometheus", "alertmanager", "loki", "alloy", "grafana"} <= set(
        jobs
    )
    for name, job in jobs.items():
        assert "static_configs" not in job, f"{name}: addresses belong in targets/{name}.yml"
        if name in DNS_ONLY_JOBS:
            continue
        assert job["file_sd_configs"] == [{"files": [f"targets/{name}.yml"]}], name
    alertmanagers = config["alerting"]["alertmanagers"]
    assert alertmanagers[0]["file_sd_configs"] == [{"files": ["targets/alertmanager.yml"]}]
    assert config["rule_files"] == ["rules/*.yml"]


def test_compose_targets_cover_every_file_sd_job_with_compose_service_names():
    config = yaml.safe_load(CONFIG.read_text())
    file_sd_jobs = {job["job_name"] for job in config["scrape_configs"] if "file_sd_configs" in job}
    # The optional services are found by DNS in Compose (no file: no target, no TargetDown);
    # the API, always there, by its file as well as api-gpu by DNS.
    optional = _dns_found_jobs(config) - {"sentimon"}
    assert {path.stem for path in COMPOSE_TARGETS.glob("*.yml")} == file_sd_jobs - optional
    assert {"loki", "alloy", "grafana"} <= optional
    for job in config["scrape_configs"]:
        if job["job_name"] in optional and job["job_name"] != "dcgm":
            (dns,) = job["dns_sd_configs"]
            assert dns["names"] == [job["job_name"]], "the Compose service of the same name"
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    reachable = set(compose) | {
        entry.split(":")[0] for entry in compose["prometheus"].get("extra_hosts", [])
    }
    for path in COMPOSE_TARGETS.glob("*.yml"):
        for group in yaml.safe_load(path.read_text()):
            for target in group["targets"]:
                host, _, port = target.rpartition(":")
                assert host in reachable, f"{path.name}: {host} is not a Compose service"
                assert port.isdigit(), target


def test_the_api_job_is_labelled_as_the_service():
    config = yaml.safe_load(CONFIG.read_text())
    job = next(job for job in config["scrape_configs"] if job["job_name"] == "sentimon")
    assert job["metrics_path"] == "/metrics"
    assert {"target_label": "service", "replacement": "sentimon"} in job["relabel_configs"]


def test_intervals_match_the_rule_tests():
    config = yaml.safe_load(CONFIG.read_text())["global"]
    assert config["scrape_interval"] == config["evaluation_interval"] == "15s"
    assert config["external_labels"] == {"monitor": "sentimon"}
    for path in RULE_TESTS:
        assert yaml.safe_load(path.read_text())["evaluation_interval"] == "15s", path.name


# ---- the alerts -------------------------------------------------------------------


def test_every_alert_of_the_design_exists_with_its_severity_and_for():
    alerts = {(rule["alert"], rule["labels"]["severity"]): rule.get("for") for rule in _alerts()}
    for name, (severity, duration) in DESIGN_ALERTS.items():
        assert alerts.get((name, severity)) == duration, f"{name} ({severity}, for {duration})"


@pytest.mark.parametrize("alert", _alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_is_labelled_and_annotated(alert):
    assert alert["labels"]["severity"] in {"critical", "warning"}
    # A burn-rate alert waits through its short window (5m to 6h of the burn going on);
    # a `for` would only delay the page (docs/alerts.md#service-level-objectives).
    assert alert.get("for") or alert["alert"] in _burn_rate_alerts(), "every alert waits"
    annotations = alert["annotations"]
    assert annotations["summary"].strip()
    assert "{{" in annotations["description"], "the description carries the value or the target"
    assert annotations["runbook_url"] == f"{RUNBOOK_BASE}#{alert['alert'].lower()}"


def test_every_runbook_url_points_at_a_runbook_section():
    headings = re.findall(r"^## (.+)$", RUNBOOKS.read_text(), re.M)
    anchors = {_github_anchor(heading) for heading in headings}
    for alert in _alerts():
        anchor = alert["annotations"]["runbook_url"].rpartition("#")[2]
        assert anchor in anchors, f"{alert['alert']}: no '## ' heading for #{anchor} in runbooks.md"


def test_a_warning_and_its_critical_differ_only_in_the_threshold_they_read():
    """Same expression, so the same labels: Alertmanager's inhibition pairs them."""
    by_name: dict[str, dict[str, dict]] = {}
    for alert in _alerts():
        by_name.setdefault(alert["alert"], {})[alert["labels"]["severity"]] = alert
    # A burn-rate page and its ticket read different windows (test_slo_rules.py).
    tiered = {
        name: tiers
        for name, tiers in by_name.items()
        if len(tiers) == 2 and name not in _burn_rate_alerts()
    }
    assert {"HighErrorRate", "HostHighCpu", "HostHighMemory", "HostLowDiskSpace"} <= set(tiered)
    for name, tiers in tiered.items():
        critical, warning = tiers["critical"], tiers["warning"]
        assert '{severity="critical"}' in critical["expr"], name
        assert warning["expr"] == critical["expr"].replace(
            '{severity="critical"}', '{severity="warning"}'
        ), name
        assert {**warning["labels"], "severity": "critical"} == critical["labels"], name


def test_every_alert_is_in_the_alerts_doc():
    text = ALERTS_DOC.read_text()
    for name in {alert["alert"] for alert in _alerts()}:
        assert f"| {name} |" in text, f"{name} is missing from docs/alerts.md's table"


def test_every_alert_has_a_promtool_test_that_sees_it_fire_and_one_that_does_not():
    firing = set()
    quiet = set()
    for case in _alert_tests():
        if case.get("exp_alerts"):
            firing |= {
                (case["alertname"], exp["exp_labels"]["severity"]) for exp in case["exp_alerts"]
            }
        else:
            quiet.add(case["alertname"])
    for alert in _alerts():
        key = (alert["alert"], alert["labels"]["severity"])
        assert key in firing, f"no promtool test expects {key} firing"
        assert alert["alert"] in quiet, f"no promtool test expects {alert['alert']} quiet"


def test_rule_tests_load_every_real_rules_file():
    loaded = set()
    for path in RULE_TESTS:
        for name in yaml.safe_load(path.read_text())["rule_files"]:
            rule_file = (path.parent / name).resolve()
            assert rule_file.parent == (PROMETHEUS / "rules").resolve(), name
            loaded.add(rule_file)
    assert loaded == {path.resolve() for path in RULES}


# ---- thresholds and names ---------------------------------------------------------


def test_rate_and_ratio_alerts_read_their_threshold_from_thresholds_yml():
    thresholds = yaml.safe_load((PROMETHEUS / "rules" / "thresholds.yml").read_text())
    records = {rule["record"] for group in thresholds["groups"] for rule in group["rules"]}
    assert all(record.startswith("sentimon:threshold:") for record in records)
    used = set()
    for alert in _alerts():
        read = metric_names(alert["expr"]) & records
        # TargetDown has no threshold; the SLO alerts read their objective from the spec.
        if alert["alert"] != "TargetDown" and alert["alert"] not in _burn_rate_alerts():
            assert read, f"{alert['alert']} compares against no sentimon:threshold: series"
        used |= read
    # The model-quality recordings (generated) read their minimum-sample guard too.
    quality = yaml.safe_load((PROMETHEUS / "rules" / "model_quality.yml").read_text())
    for group in quality["groups"]:
        for rule in group["rules"]:
            used |= metric_names(rule["expr"]) & records
    assert used == records, f"thresholds no rule reads: {records - used}"


def test_recording_rules_are_named_level_metric_operations():
    for rule in _rules():
        if "record" in rule:
            assert re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", rule["record"]), rule["record"]


def test_rules_read_only_documented_or_recorded_metrics():
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    known = recorded | documented_metrics() | NODE_EXPORTER_METRICS | PROMETHEUS_METRICS
    for rule in _rules():
        unknown = metric_names(rule["expr"]) - known
        assert not unknown, f"{rule.get('alert') or rule['record']} reads unknown series {unknown}"

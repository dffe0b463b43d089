"""The native stack's configs are deploy/'s, with only addresses, paths and intervals changed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from sentimon.stack.components import BY_NAME, COMPONENTS
from sentimon.stack.launcher import status
from sentimon.stack.layout import Layout
from sentimon.stack.render import render_all, render_targets
from sentimon.stack.settings import StackSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _settings(tmp_path: Path, **overrides) -> StackSettings:
    return StackSettings(state_dir=tmp_path, deploy_dir=DEPLOY, **overrides)


def test_prometheus_config_differs_from_deploy_only_in_the_intervals(tmp_path):
    settings = _settings(tmp_path, scrape_interval="2s", evaluation_interval="3s")
    layout = Layout(tmp_path)
    render_all(settings, layout, COMPONENTS)
    source = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    rendered = yaml.safe_load(layout.prometheus_config.read_text())
    assert rendered["global"] == source["global"] | {
        "scrape_interval": "2s",
        "evaluation_interval": "3s",
        "scrape_timeout": "2s",  # never longer than the interval: Prometheus refuses that
    }
    assert {k: v for k, v in rendered.items() if k != "global"} == {
        k: v for k, v in source.items() if k != "global"
    }
    rules = sorted(p.name for p in (layout.prometheus_config.parent / "rules").glob("*.yml"))
    assert rules == sorted(p.name for p in (DEPLOY / "prometheus/rules").glob("*.yml"))
    assert layout.prometheus_config.read_text().startswith("# Rendered by `sentimon stack up`")


def test_targets_name_loopback_ports_and_only_running_components(tmp_path):
    settings = _settings(tmp_path, api_port=18000, node_exporter_port=19100)
    layout = Layout(tmp_path)
    render_targets(settings, layout, COMPONENTS)
    assert yaml.safe_load((layout.targets / "sentimon.yml").read_text()) == [
        {"targets": ["127.0.0.1:18000"]}
    ]
    assert yaml.safe_load((layout.targets / "node.yml").read_text()) == [
        {"targets": ["127.0.0.1:19100"]}
    ]
    assert not (layout.targets / "receiver.yml").exists()  # not a scrape target

    render_targets(settings, layout, [BY_NAME["sentimon"], BY_NAME["prometheus"]])
    assert sorted(p.stem for p in layout.targets.glob("*.yml")) == ["prometheus", "sentimon"]


def test_alertmanager_posts_to_the_configured_receiver_port(tmp_path):
    settings = _settings(tmp_path, receiver_port=19095)
    layout = Layout(tmp_path)
    render_all(settings, layout, COMPONENTS)
    source = yaml.safe_load((DEPLOY / "alertmanager/alertmanager.yml").read_text())
    rendered = yaml.safe_load(layout.alertmanager_config.read_text())
    assert rendered["templates"] == [str(DEPLOY / "alertmanager/templates/*.tmpl")]
    webhook = rendered["receivers"][0]["webhook_configs"][0]
    assert webhook["url"] == "http://127.0.0.1:19095/alerts"
    for key in ("route", "inhibit_rules", "global"):
        assert rendered[key] == source[key]


def test_components_without_a_binary_are_named_with_their_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    states = {s.name: s for s in status(_settings(tmp_path))}
    assert states["prometheus"].state == "not installed"
    assert states["prometheus"].detail == "sudo apt-get install prometheus"
    assert states["node"].detail == "sudo apt-get install prometheus-node-exporter"
    assert "apt.grafana.com" in states["grafana"].detail
    # sentimon's own parts run on this Python: always installed, here merely stopped.
    assert states["sentimon"].state == states["receiver"].state == "stopped"
    assert states["console"].state == "stopped"


def test_grafana_password_is_generated_once_and_private(tmp_path):
    layout = Layout(tmp_path)
    first = layout.grafana_password()
    assert len(first) >= 24 and first != "admin"
    assert layout.grafana_password() == first
    assert (tmp_path / "grafana-admin-password").stat().st_mode & 0o777 == 0o600


def test_every_stack_setting_is_documented_with_its_description():
    doc = (DEPLOY.parent / "docs/stack.md").read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([A-Z_]+)` .*$", doc, re.M)}
    assert set(rows) == {f"SENTIMON_STACK_{name.upper()}" for name in StackSettings.model_fields}
    for name, field in StackSettings.model_fields.items():
        assert field.description in rows[f"SENTIMON_STACK_{name.upper()}"]


def test_the_test_profile_divides_every_window_and_wait_and_stays_valid(tmp_path):
    settings = _settings(tmp_path, time_scale=20)
    layout = Layout(tmp_path)
    render_all(settings, layout, COMPONENTS)
    rendered = yaml.safe_load((layout.prometheus_config.parent / "rules/sentimon.yml").read_text())
    rules = {
        (r.get("alert", r.get("record")), r.get("labels", {}).get("severity")): r
        for g in rendered["groups"]
        for r in g["rules"]
    }
    assert rules["HighErrorRate", "critical"]["for"] == "3000ms"  # 1m / 20
    assert rules["HighErrorRate", "warning"]["for"] == "15000ms"  # 5m / 20
    assert rules["LowModelConfidence", "warning"]["for"] == "6000ms"  # 2m / 20
    assert "[15000ms]" in rules["sentimon:http_requests:rate5m", None]["expr"]  # [5m] / 20
    assert "[5m]" not in layout.prometheus_config.parent.joinpath("rules/sentimon.yml").read_text()

    route = yaml.safe_load(layout.alertmanager_config.read_text())["route"]
    assert route["group_wait"] == "1500ms"  # 30s / 20
    assert route["routes"][2]["group_wait"] == "500ms"  # critical: 10s / 20

    if promtool := shutil.which("promtool"):
        rule_files = sorted(str(p) for p in (layout.prometheus_config.parent / "rules").glob("*"))
        check = subprocess.run([promtool, "check", "rules", *rule_files], capture_output=True)
        assert check.returncode == 0, check.stdout + check.stderr
    if amtool := shutil.which("amtool"):
        check = subprocess.run(
            [amtool, "check-config", str(layout.alertmanager_config)], capture_output=True
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_each_components_url_comes_from_its_port_setting(tmp_path):
    settings = _settings(tmp_path, prometheus_port=19090, receiver_port=19095)
    assert settings.url("prometheus") == "http://127.0.0.1:19090"
    assert BY_NAME["prometheus"].url(settings) == settings.url("prometheus")
    assert BY_NAME["sentimon"].url(settings) == settings.url("api")
    assert settings.deploy_files.rules == DEPLOY / "prometheus" / "rules"

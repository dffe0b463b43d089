"""One command for every generated file: in dependency order, written or checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from sentimon import paths
from sentimon_generate.__main__ import main
from sentimon_generate.generated import NAMES, stale, write

pytest.importorskip("grafana_foundation_sdk", reason="the dev extra builds the dashboards")


@pytest.fixture
def deploy(tmp_path) -> Path:
    """A copy of deploy/ to break."""
    return Path(shutil.copytree(paths.deploy_dir(), tmp_path / "deploy"))


def test_every_committed_generated_file_is_what_its_sources_give():
    assert stale() == [], "run `make generate` and commit the result"


def test_a_changed_spec_is_written_through_to_the_kubernetes_objects_in_one_run(deploy):
    spec = deploy / "slo" / "slos.yml"
    document = yaml.safe_load(spec.read_text())
    document["slos"][0]["objective"] = 0.995
    spec.write_text(yaml.safe_dump(document, sort_keys=False))
    assert [p.split(": ", 1)[1] for p in stale(deploy)] == ["differs from what slo makes"]
    changed = write(deploy)
    # The SLO rules first, then the PrometheusRule that wraps them: one run is enough.
    assert [p.name for p in changed] == ["slo.yml", "prometheusrule.yaml"]
    assert stale(deploy) == []
    assert "0.995" in (deploy / "k8s/base/monitoring/prometheusrule.yaml").read_text()


def test_a_missing_a_changed_and_a_stray_dashboard_are_named_and_put_right(deploy):
    dashboards = deploy / "grafana" / "dashboards"
    (dashboards / "api.json").write_text("{}\n")
    (dashboards / "logs.json").unlink()
    (dashboards / "stray.json").write_text("{}\n")
    problems = "\n".join(stale(deploy, ["dashboards"]))
    assert "api.json: differs from what dashboards makes" in problems
    assert "logs.json: missing (dashboards)" in problems
    assert "stray.json: no generator makes it (dashboards)" in problems
    write(deploy, ["dashboards"])
    assert not (dashboards / "stray.json").exists()
    assert stale(deploy, ["dashboards"]) == []


def test_the_command_checks_writes_and_names_an_unknown_generator(capsys):
    assert main(["--check"]) == 0
    assert "every generated file is up to date" in capsys.readouterr().err
    assert main([]) == 0  # nothing changes: every file was current
    assert "already up to date" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["grafana"])
    assert exited.value.code == 2
    assert f"choose from {', '.join(NAMES)}" in capsys.readouterr().err


def test_the_wheel_ships_the_service_without_the_generators():
    pyproject = (paths.deploy_dir().parent / "pyproject.toml").read_text()
    assert 'packages = ["src/sentimon"]' in pyproject
    assert not (paths.deploy_dir().parent / "src" / "sentimon" / "dashboards").exists()

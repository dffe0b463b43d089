"""sentimon's home: the checkout around the package, SENTIMON_HOME, and clear errors without."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sentimon
from sentimon import paths
from sentimon.model.artifact import default_model_dir, load_artifact
from sentimon.settings import Settings
from sentimon.stack.settings import StackSettings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    for name in ("models", "deploy"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("SENTIMON_HOME", str(tmp_path))
    return tmp_path


def test_a_checkout_finds_its_own_models_and_deploy(monkeypatch):
    monkeypatch.delenv("SENTIMON_HOME", raising=False)
    assert paths.home() == REPO
    assert default_model_dir() == REPO / "models" / "sentimon-bilstm"
    assert paths.rules_dir() == REPO / "deploy" / "prometheus" / "rules"


def test_sentimon_home_moves_the_model_the_stack_and_the_rules(home, monkeypatch):
    monkeypatch.delenv("SENTIMON_MODEL_DIR", raising=False)
    monkeypatch.delenv("SENTIMON_STACK_DEPLOY_DIR", raising=False)
    assert Settings().model_dir == home / "models" / "sentimon-bilstm"
    assert StackSettings().deploy_dir == home / "deploy"
    assert paths.dashboards_dir() == home / "deploy" / "grafana" / "dashboards"


def test_a_missing_sentimon_home_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("SENTIMON_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(paths.HomeNotFoundError, match=r"SENTIMON_HOME=.*nowhere: no such"):
        paths.models_dir()


def test_a_home_without_deploy_says_what_is_missing(home):
    shutil.rmtree(home / "deploy")
    assert paths.models_dir() == home / "models"
    with pytest.raises(paths.HomeNotFoundError, match=r"has no deploy/.*SENTIMON_HOME"):
        paths.deploy_dir()


def _installed_copy(tmp_path: Path) -> Path:
    """The package copied alone into a site-packages of its own, as a wheel installs it."""
    site = tmp_path / "site-packages"
    shutil.copytree(
        Path(sentimon.__file__).parent,
        site / "sentimon",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return site


def _run_installed(site: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SENTIMON_", "PYTHON"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean | {"PYTHONPATH": str(site)} | env,
        cwd=site,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_installed_package_needs_sentimon_home_and_then_serves_the_shipped_model(tmp_path):
    """The package copied alone, as a wheel installs it, far from any checkout."""
    site = _installed_copy(tmp_path)
    code = (
        "from sentimon.model.artifact import load_artifact\n"
        "from sentimon.settings import Settings\n"
        "import sentimon\n"
        "print(sentimon.__file__)\n"
        "print(load_artifact(Settings().model_dir).directory)\n"
    )
    lost = _run_installed(site, code)
    assert lost.returncode != 0
    assert "HomeNotFoundError: cannot find sentimon's home" in lost.stderr
    assert "Set SENTIMON_HOME" in lost.stderr

    found = _run_installed(site, code, SENTIMON_HOME=str(REPO))
    assert found.returncode == 0, found.stderr
    package, model = found.stdout.splitlines()
    assert Path(package).is_relative_to(site)
    assert Path(model) == load_artifact(REPO / "models" / "sentimon-bilstm").directory


def test_the_dashboard_code_reads_nothing_until_a_dashboard_is_built(tmp_path):
    """Importing it (as the stack check and the console do) must not need deploy/."""
    pytest.importorskip("grafana_foundation_sdk", reason="the dashboards need it (sentimon[dev])")
    site = _installed_copy(tmp_path)
    code = (
        "import pkgutil, importlib, sentimon_generate.dashboards, sentimon.queries\n"
        "for package in (sentimon_generate.dashboards, sentimon.queries):\n"
        "    for m in pkgutil.iter_modules(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print('imported')\n"
        "sentimon_generate.dashboards.build_json('server')\n"
    )
    run = _run_installed(site, code)
    assert run.stdout == "imported\n"
    assert "HomeNotFoundError: cannot find sentimon's home" in run.stderr


def test_every_place_in_deploy_is_spelled_once_and_exists():
    files = paths.deploy_files()
    places = {
        name: getattr(files, name)
        for name in dir(paths.DeployFiles)
        if isinstance(getattr(paths.DeployFiles, name), property)
    }
    assert len(places) >= 9
    assert [name for name, path in places.items() if not path.exists()] == []
    assert paths.rules_dir() == files.rules and paths.dashboards_dir() == files.dashboards

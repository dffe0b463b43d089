"""Where sentimon finds what ships beside the package rather than inside it: the trained
model (`models/`) and the config source of the stack, rules and dashboards (`deploy/`).

Both live in sentimon's home: `$SENTIMON_HOME` when set, else the source checkout this
package sits in (`src/sentimon/` beside `pyproject.toml`: a clone, or an editable install).
An installed package (a wheel, the container image) has no checkout around it: it needs
SENTIMON_HOME, or the setting for the one thing it uses (SENTIMON_MODEL_DIR,
SENTIMON_STACK_DEPLOY_DIR). Nothing here runs at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "SENTIMON_HOME"

_PACKAGE = Path(__file__).resolve().parent


class HomeNotFoundError(RuntimeError):
    """sentimon's home, or a directory it should hold, is not there."""


def _checkout(package: Path) -> Path | None:
    """The source checkout around the package, if it is in one."""
    root = package.parents[1]
    if package.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def _home() -> tuple[Path, str]:
    """The home and where it came from, for the error messages."""
    # Read here rather than in Settings: the stack, the dashboards and the rules writer
    # need it too, and none of them has a Settings.
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        path = Path(explicit).expanduser().resolve()
        if not path.is_dir():
            raise HomeNotFoundError(f"{HOME_ENV}={explicit}: no such directory")
        return path, HOME_ENV
    checkout = _checkout(_PACKAGE)
    if checkout is None:
        raise HomeNotFoundError(
            f"cannot find sentimon's home, the directory holding models/ and deploy/: the "
            f"package at {_PACKAGE} is installed outside a source checkout. Set {HOME_ENV} to "
            "a checkout (or a copy of its models/ and deploy/), or SENTIMON_MODEL_DIR to a "
            "model directory."
        )
    return checkout, "the source checkout"


def home() -> Path:
    """The directory holding models/ and deploy/; HomeNotFoundError says what to set."""
    return _home()[0]


def _subdirectory(name: str) -> Path:
    base, source = _home()
    path = base / name
    if not path.is_dir():
        raise HomeNotFoundError(
            f"{path} not found: sentimon's home ({source}, {base}) has no {name}/. "
            f"Set {HOME_ENV} to a directory holding models/ and deploy/."
        )
    return path


def models_dir() -> Path:
    """`models/`: the trained models, one directory each."""
    return _subdirectory("models")


def deploy_dir() -> Path:
    """`deploy/`: the configs shared by the native stack, Compose and Kubernetes."""
    return _subdirectory("deploy")


@dataclass(frozen=True)
class DeployFiles:
    """Where each config lives inside a `deploy/` directory: the one place its layout is
    spelled, for the shipped one and for any copy (`SENTIMON_STACK_DEPLOY_DIR`, a test's)."""

    root: Path

    @property
    def prometheus_config(self) -> Path:
        return self.root / "prometheus" / "prometheus.yml"

    @property
    def rules(self) -> Path:
        """The alert and recording rules, one group file each."""
        return self.root / "prometheus" / "rules"

    @property
    def rule_tests(self) -> Path:
        """promtool's unit tests of the rules."""
        return self.root / "prometheus" / "tests"

    @property
    def alertmanager_config(self) -> Path:
        return self.root / "alertmanager" / "alertmanager.yml"

    @property
    def grafana_provisioning(self) -> Path:
        return self.root / "grafana" / "provisioning"

    @property
    def dashboards(self) -> Path:
        """The generated dashboards Grafana provisions."""
        return self.root / "grafana" / "dashboards"

    @property
    def slo_spec(self) -> Path:
        return self.root / "slo" / "slos.yml"

    @property
    def compose_file(self) -> Path:
        return self.root / "compose.yaml"

    @property
    def loki_config(self) -> Path:
        return self.root / "loki" / "loki.yml"

    @property
    def collector_config(self) -> Path:
        """Grafana Alloy's pipeline."""
        return self.root / "collector" / "config.alloy"

    @property
    def k8s_overlays(self) -> Path:
        return self.root / "k8s" / "overlays"

    @property
    def k8s_monitoring(self) -> Path:
        """The generated monitoring objects of the Kustomize base."""
        return self.root / "k8s" / "base" / "monitoring"


def deploy_files(root: Path | None = None) -> DeployFiles:
    """The layout of `root`, by default the shipped `deploy/`."""
    return DeployFiles(root or deploy_dir())


def rules_dir() -> Path:
    """`deploy/prometheus/rules`: the alert and recording rules."""
    return deploy_files().rules


def dashboards_dir() -> Path:
    """`deploy/grafana/dashboards`: the generated dashboards Grafana provisions."""
    return deploy_files().dashboards

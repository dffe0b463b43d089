"""Every committed file that is made from another source, in the order they depend on
each other: write them all, or list those that differ from what their sources give.

    slo            deploy/slo/slos.yml                -> deploy/prometheus/rules/slo.yml
    model-quality  the shipped model card             -> deploy/prometheus/rules/model_quality.yml
    dashboards     sentimon_generate.dashboards       -> deploy/grafana/dashboards/*.json
    kubernetes     the rules, dashboards, alertmanager.yml -> deploy/k8s/base/monitoring/*.yaml

Kubernetes comes last: it wraps the rule files and dashboards the others write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentimon import paths
from sentimon.paths import DeployFiles


@dataclass(frozen=True)
class Generator:
    name: str
    render: Callable[[Path], dict[Path, str]]
    """Given deploy/, each file this generator owns and its exact text."""
    owns: Callable[[Path], list[Path]] = lambda deploy: []
    """Files on disk this generator is the only maker of (one it no longer makes is stale)."""


def _slo(deploy: Path) -> dict[Path, str]:
    from sentimon_generate.slo.spec import load_spec
    from sentimon_generate.slo.write import RULES_NAME, render_file

    files = DeployFiles(deploy)
    return {files.rules / RULES_NAME: render_file(load_spec(files.slo_spec))}


def _model_quality(deploy: Path) -> dict[Path, str]:
    from sentimon.model.artifact import default_model_dir, load_artifact
    from sentimon.quality.write import RULES_NAME, render_again

    path = DeployFiles(deploy).rules / RULES_NAME
    # A window chosen with `sentimon quality rules --window` is kept.
    return {path: render_again(path, load_artifact(default_model_dir()).card)}


def _dashboards(deploy: Path) -> dict[Path, str]:
    from sentimon_generate.dashboards.generate import DASHBOARDS, render

    out = DeployFiles(deploy).dashboards
    return {out / f"{name}.json": render(name) for name in DASHBOARDS}


def _dashboard_files(deploy: Path) -> list[Path]:
    return sorted(DeployFiles(deploy).dashboards.glob("*.json"))


def _kubernetes(deploy: Path) -> dict[Path, str]:
    from sentimon_generate.k8s.generate import render_all

    return render_all(deploy)


GENERATORS = (
    Generator("slo", _slo),
    Generator("model-quality", _model_quality),
    Generator("dashboards", _dashboards, _dashboard_files),
    Generator("kubernetes", _kubernetes),
)
NAMES = tuple(g.name for g in GENERATORS)


def _pick(names: list[str] | None) -> list[Generator]:
    if unknown := set(names or ()) - set(NAMES):
        raise ValueError(
            f"no generator {', '.join(sorted(unknown))}: choose from {', '.join(NAMES)}"
        )
    return [g for g in GENERATORS if not names or g.name in names]


def write(deploy: Path | None = None, names: list[str] | None = None) -> list[Path]:
    """Write each generator's files in order (a later one reads what an earlier one wrote);
    return the files whose text changed."""
    deploy = deploy or paths.deploy_dir()
    changed = []
    for generator in _pick(names):
        rendered = generator.render(deploy)
        for path, text in rendered.items():
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                changed.append(path)
        for path in generator.owns(deploy):
            if path not in rendered:
                path.unlink()
                changed.append(path)
    return changed


def stale(deploy: Path | None = None, names: list[str] | None = None) -> list[str]:
    """What differs from the sources, one line per file, naming its generator."""
    deploy = deploy or paths.deploy_dir()
    problems = []
    for generator in _pick(names):
        rendered = generator.render(deploy)
        for path, text in rendered.items():
            if not path.is_file():
                problems.append(f"{path}: missing ({generator.name})")
            elif path.read_text(encoding="utf-8") != text:
                problems.append(f"{path}: differs from what {generator.name} makes")
        problems += [
            f"{path}: no generator makes it ({generator.name})"
            for path in generator.owns(deploy)
            if path not in rendered
        ]
    return problems

"""The generated SLO rule file: where it lives and its exact text."""

from __future__ import annotations

from pathlib import Path

from sentimon import paths, yaml_text
from sentimon_generate.slo.rules import HEADER, render_rules
from sentimon_generate.slo.spec import Spec

RULES_NAME = "slo.yml"


def rules_file() -> Path:
    """deploy/prometheus/rules/slo.yml in sentimon's home."""
    return paths.rules_dir() / RULES_NAME


def render_file(spec: Spec) -> str:
    return HEADER + "\n" + yaml_text.dump(render_rules(spec))


def is_current(path: Path, spec: Spec) -> bool:
    """Whether ``path`` holds exactly what ``spec`` gives."""
    return path.is_file() and path.read_text(encoding="utf-8") == render_file(spec)

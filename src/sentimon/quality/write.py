"""The generated rule file: where it lives and its exact text."""

from __future__ import annotations

import re
from pathlib import Path

from sentimon import paths, yaml_text
from sentimon.quality.rules import DEFAULT_WINDOW, header, render_rules

RULES_NAME = "model_quality.yml"


def rules_file() -> Path:
    """deploy/prometheus/rules/model_quality.yml in sentimon's home."""
    return paths.rules_dir() / RULES_NAME


def render_file(card: dict, window: str) -> str:
    return header(card, window) + "\n" + yaml_text.dump(render_rules(card, window))


def written_window(text: str) -> str:
    """The window a generated file was written for, from its header."""
    match = re.search(r"--window (\S+)$", text, re.MULTILINE)
    return match.group(1) if match else DEFAULT_WINDOW


def render_again(path: Path, card: dict) -> str:
    """What ``card`` gives for ``path``, keeping the window the file was written with
    (the default for a file not yet written)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return render_file(card, written_window(text))


def is_current(path: Path, card: dict) -> bool:
    """Whether ``path`` is what ``card`` gives, for the window the file was written with."""
    return path.is_file() and path.read_text(encoding="utf-8") == render_again(path, card)

"""The generated rule file: where it lives and its exact text."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sentimon import paths
from sentimon.quality.rules import DEFAULT_WINDOW, header, render_rules

RULES_NAME = "model_quality.yml"


def rules_file() -> Path:
    """deploy/prometheus/rules/model_quality.yml in sentimon's home."""
    return paths.rules_dir() / RULES_NAME


class _Dumper(yaml.SafeDumper):
    """Laid out like the hand-written rule files: lists indented under their key,
    multi-line expressions as literal blocks, no anchors."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_rules(document: dict, *, allow_unicode: bool = False) -> str:
    """A rules document as YAML, laid out like the hand-written rule files. With
    allow_unicode, text with non-ASCII characters can stay a literal block."""
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        width=100,
        indent=2,
        allow_unicode=allow_unicode,
    )


def render_file(card: dict, window: str) -> str:
    return header(card, window) + "\n" + dump_rules(render_rules(card, window))


def written_window(text: str) -> str:
    """The window a generated file was written for, from its header."""
    match = re.search(r"--window (\S+)$", text, re.MULTILINE)
    return match.group(1) if match else DEFAULT_WINDOW


def is_current(path: Path, card: dict) -> bool:
    """Whether ``path`` is what ``card`` gives, for the window the file was written with."""
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    return text == render_file(card, written_window(text))

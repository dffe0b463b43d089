"""Every command the README and docs/ show exists as written: each `sentimon` subcommand
and option, each `make` target and each `python -m` module."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import typer

from sentimon.cli import app

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# A command as the docs write it: in a code block line or an inline code span.
_SPAN = re.compile(r"`([^`\n]+)`")
_PROMPT = re.compile(r"^\s*(?:\$\s+)?")


def _commands(prefix: str) -> list[tuple[str, str]]:
    """(doc, command line) for every line or span that starts with ``prefix``."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, re.S)
        lines = [line for block in blocks for line in block.splitlines()]
        lines += _SPAN.findall(re.sub(r"```.*?```", "", text, flags=re.S))
        for line in lines:
            line = _PROMPT.sub("", line).split(" #", 1)[0].strip()
            line = line.removeprefix(".venv/bin/")
            if line.startswith(prefix):
                found.append((doc.name, line))
    return found


def _click():
    return typer.main.get_command(app)


def _check_sentimon(line: str) -> str | None:
    """Why ``line`` is not a command the CLI takes, or None."""
    try:
        words = shlex.split(line.split("|")[0].split("&&")[0].split(";")[0])
    except ValueError:
        return None  # a fragment with a quote cut off: nothing to check
    if len(words) < 2 or not re.fullmatch(r"[a-z][a-z-]*|-.*", words[1]):
        return None  # output that starts with the name ("sentimon API  healthy"), not a command
    command = _click()
    context = command.context_class(command)
    for i, word in enumerate(words[1:], start=1):
        if hasattr(command, "get_command"):  # a group (typer ships its own click)
            if word.startswith("-"):
                break
            sub = command.get_command(context, word)
            if sub is None:
                if word in {"...", "<command>", "COMMAND"}:
                    return None
                return f"no command {' '.join(words[: i + 1])!r}"
            command, context = sub, sub.context_class(sub, parent=context)
        else:
            break
    options = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    for word in words:
        for name in word.split("=", 1)[0].split("/"):  # --host/--port: several named at once
            if name.startswith("--") and name not in options and name != "--help":
                return f"{' '.join(words[:3])} has no option {name}"
    return None


SENTIMON = sorted(set(_commands("sentimon ")))


@pytest.mark.parametrize(("doc", "line"), SENTIMON, ids=[f"{d}: {c[:60]}" for d, c in SENTIMON])
def test_every_sentimon_command_in_the_docs_exists(doc, line):
    assert _check_sentimon(line) is None, f"{doc}: {line}: {_check_sentimon(line)}"


def test_the_docs_show_many_commands():
    assert len(SENTIMON) > 40  # the extraction itself works


def test_every_make_target_in_the_docs_exists():
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    missing = [
        (doc, line)
        for doc, line in _commands("make ")
        for word in shlex.split(line)[1:2]
        if "=" not in word and not word.startswith("-") and word not in targets
    ]
    assert missing == []


def test_every_python_module_in_the_docs_exists():
    missing = []
    for doc, line in _commands("python -m ") + _commands("python3 -m "):
        module = line.split()[2]
        if module in {"pytest", "venv", "pip", "http.server", "json.tool"}:
            continue
        if importlib.util.find_spec(module) is None:
            missing.append((doc, line))
    assert missing == []

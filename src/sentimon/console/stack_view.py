"""What the console shows of the native stack: each component's health, as `sentimon stack
status` probes it, and Grafana's dashboards when Grafana runs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentimon.stack import launcher
from sentimon.stack.settings import StackSettings

_DURATION = re.compile(r"^(\d+)(ms|s|m)$")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60}


def scrape_seconds(stack: StackSettings) -> float:
    """The stack's scrape interval in seconds (the console's rate windows hold four)."""
    match = _DURATION.match(stack.scrape_interval)
    assert match is not None  # StackSettings validates the same pattern
    return int(match.group(1)) * _SECONDS[match.group(2)]


def component_states(stack: StackSettings) -> list[dict[str, Any]]:
    """Every component and its state; blocking (it probes each health URL): run in a thread."""
    return [state.as_dict() for state in launcher.status(stack)]


@dataclass(frozen=True)
class GrafanaDashboard:
    stem: str
    uid: str
    title: str


def grafana_dashboards(dashboards_dir: Path) -> list[GrafanaDashboard]:
    """The provisioned dashboards' uids and titles, read from their generated JSON (the
    console does not import the Grafana SDK, a development dependency)."""
    found = []
    for path in sorted(dashboards_dir.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(document.get("uid"), str):
            found.append(GrafanaDashboard(path.stem, document["uid"], document.get("title", "")))
    return found

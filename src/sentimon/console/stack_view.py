"""What the console shows of the native stack: each component's health, as `sentimon stack
status` probes it, and Grafana's dashboards when Grafana runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentimon import durations
from sentimon.stack import launcher
from sentimon.stack.settings import StackSettings


def scrape_seconds(stack: StackSettings) -> float:
    """The stack's scrape interval in seconds (the console's rate windows hold four)."""
    return durations.seconds(stack.scrape_interval)


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

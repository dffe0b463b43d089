"""The SLO spec (deploy/slo/slos.yml), read and checked into plain records."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from sentimon import durations, paths

VERSION = "sentimon/slo/v1"
WINDOW = "{{.window}}"
# The spec's windows are whole minutes, hours or days.
_SPEC_DURATION = re.compile(r"\d+[mhd]")


class SpecError(ValueError):
    """The spec is not one the generator can turn into rules; the message says where."""


def seconds(duration: str) -> int:
    """A spec duration (minutes, hours or days: 5m, 1h, 30d) in seconds."""
    if not _SPEC_DURATION.fullmatch(duration):
        raise SpecError(f"{duration!r}: a duration is a whole number of m, h or d")
    return int(durations.seconds(duration))


@dataclass(frozen=True)
class BurnCondition:
    """Fires when `budget` of the error budget burns within `long`, still burning over `short`."""

    long: str
    short: str
    budget: float

    def factor(self, slo_window: str) -> float:
        """The burn rate that spends `budget` within `long`: 14.4 for 2% in 1h of 30 days."""
        return round(self.budget * seconds(slo_window) / seconds(self.long), 6)


@dataclass(frozen=True)
class Slo:
    name: str
    alert: str
    description: str
    objective: float
    """The share of good events aimed at, e.g. 0.999."""
    window: str
    error_query: str
    total_query: str

    @property
    def error_budget(self) -> float:
        """The share of bad events the objective allows (1 - objective, without float noise)."""
        return round(1 - self.objective, 12)


@dataclass(frozen=True)
class Spec:
    service: str
    page: tuple[BurnCondition, ...]
    ticket: tuple[BurnCondition, ...]
    slos: tuple[Slo, ...]

    def windows(self) -> list[str]:
        """Every window an alert reads, shortest first."""
        conditions = self.page + self.ticket
        found = {c.long for c in conditions} | {c.short for c in conditions}
        return sorted(found, key=seconds)


def spec_file() -> Path:
    """deploy/slo/slos.yml in sentimon's home."""
    return paths.deploy_files().slo_spec


def _conditions(alerting: dict, severity: str) -> tuple[BurnCondition, ...]:
    items = alerting.get(severity) or []
    if not items:
        raise SpecError(f"alerting.{severity}: at least one condition")
    conditions = []
    for item in items:
        condition = BurnCondition(str(item["long"]), str(item["short"]), float(item["budget"]))
        if seconds(condition.short) >= seconds(condition.long):
            raise SpecError(f"alerting.{severity}: {condition.short} is not shorter than long")
        if not 0 < condition.budget <= 1:
            raise SpecError(f"alerting.{severity}: budget {condition.budget} is not in (0, 1]")
        conditions.append(condition)
    return tuple(conditions)


def _slo(item: dict) -> Slo:
    sli = item["sli"]
    slo = Slo(
        name=item["name"],
        alert=item["alert"],
        description=" ".join(item["description"].split()),
        objective=float(item["objective"]),
        window=str(item["window"]),
        error_query=" ".join(sli["error_query"].split()),
        total_query=" ".join(sli["total_query"].split()),
    )
    if not 0 < slo.objective < 1:
        raise SpecError(f"{slo.name}: objective {slo.objective} is a share in (0, 1)")
    seconds(slo.window)
    for query in (slo.error_query, slo.total_query):
        if WINDOW not in query:
            raise SpecError(f"{slo.name}: every query needs {WINDOW} as its range")
    return slo


def parse_spec(document: dict) -> Spec:
    if document.get("version") != VERSION:
        raise SpecError(f"version: {document.get('version')!r}, expected {VERSION!r}")
    try:
        alerting = document["alerting"]
        spec = Spec(
            service=document["service"],
            page=_conditions(alerting, "page"),
            ticket=_conditions(alerting, "ticket"),
            slos=tuple(_slo(item) for item in document["slos"]),
        )
    except (KeyError, TypeError) as exc:
        raise SpecError(f"missing or malformed field: {exc}") from None
    names = [slo.name for slo in spec.slos]
    if len(set(names)) != len(names):
        raise SpecError(f"SLO names repeat: {names}")
    return spec


def load_spec(path: Path | None = None) -> Spec:
    path = path or spec_file()
    return parse_spec(yaml.safe_load(path.read_text(encoding="utf-8")))

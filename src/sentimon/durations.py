"""Prometheus's duration syntax (30s, 15m, 1h30m, 500ms): the one parser for every
setting, option, spec and rule window that holds a duration."""

from __future__ import annotations

import re

UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# One duration, whole: units from the largest down, as Prometheus writes them.
PATTERN = r"(?:\d+(?:ms|[smhdwy]))+"
_WHOLE = re.compile(PATTERN)
_PART = re.compile(r"(\d+)(ms|[smhdwy])")


def is_duration(text: str) -> bool:
    return _WHOLE.fullmatch(text) is not None


def seconds(text: str) -> float:
    """The duration in seconds; ValueError, with examples, for anything else."""
    if not is_duration(text):
        raise ValueError(f"{text!r} is not a duration (30s, 15m, 2h, 1h30m, 500ms)")
    return sum(int(n) * UNIT_SECONDS[unit] for n, unit in _PART.findall(text))

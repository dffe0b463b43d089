"""Which log lines `sentimon logs` shows: by request id, trace id, level, route and time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sentimon import durations
from sentimon.logs.reader import LogLine

# One vocabulary for the levels, whatever wrote them: Python's names, syslog's and
# logfmt's short ones.
LEVELS = {
    "debug": 10,
    "info": 20,
    "warn": 30,
    "warning": 30,
    "err": 40,
    "error": 40,
    "crit": 50,
    "critical": 50,
    "fatal": 50,
}
LEVEL_NAMES = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}


def parse_level(name: str) -> int:
    """The level's number; ValueError, naming the accepted words, for an unknown one."""
    number = LEVELS.get(name.strip().lower())
    if number is None:
        raise ValueError(
            f"unknown level {name!r}: use debug, info, warn or warning, err or error, "
            "crit or critical (any case)"
        )
    return number


def parse_since(text: str, now: datetime) -> datetime:
    """A duration before `now` (15m, 2h, 30s, 1h30m) or an ISO 8601 time, UTC unless it
    names its offset (as every `ts` of the log is UTC)."""
    text = text.strip()
    if durations.is_duration(text):
        return now - timedelta(seconds=durations.seconds(text))
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30s, 15m, 2h, 1h30m) nor an ISO 8601 time "
            "(2026-12-07T17:02:28Z)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def iso_utc(when: datetime) -> str:
    """`when` as the log writes times: 2026-12-07T17:02:28.486Z."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LogFilter:
    """Every condition given must hold; no condition matches every line."""

    request_id: str | None = None
    trace_id: str | None = None
    min_level: int | None = None
    route: str | None = None
    since: datetime | None = None

    def matches(self, line: LogLine) -> bool:
        record = line.record
        if self.request_id is not None and record.get("request_id") != self.request_id:
            return False
        if self.trace_id is not None:
            trace_id = record.get("trace_id")
            if not isinstance(trace_id, str) or trace_id.lower() != self.trace_id.lower():
                return False
        if self.min_level is not None:
            level = record.get("level")
            number = LEVELS.get(level.lower()) if isinstance(level, str) else None
            if number is None or number < self.min_level:
                return False
        if self.route is not None and record.get("path") != self.route:
            return False
        return self.since is None or line.ts >= self.since

    def describe(self) -> str:
        """The conditions in words, to follow "no log line": " with request id X since ..."."""
        parts = []
        if self.request_id is not None:
            parts.append(f"request id {self.request_id}")
        if self.trace_id is not None:
            parts.append(f"trace id {self.trace_id}")
        if self.min_level is not None:
            parts.append(f"level {LEVEL_NAMES[self.min_level]} or above")
        if self.route is not None:
            parts.append(f"path {self.route}")
        words = f" with {', '.join(parts)}" if parts else ""
        if self.since is not None:
            words += f" since {iso_utc(self.since)}"
        return words

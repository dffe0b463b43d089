"""sentimon's log files: which they are, in which order, and each line parsed or skipped.

The service writes `sentimon.log` (and, with `--workers N`, one `sentimon-<pid>.log` per
worker); rotation renames `sentimon.log` to `sentimon.log.1`, `.1` to `.2`, and so on, so
the higher the number the older the file (observability/log_sinks.py).
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from sentimon.observability.logging import LOG_FILE_PREFIX

# sentimon.log, sentimon-<pid>.log, and their rotated backups (.1, .2, ...).
_LOG_FILE = re.compile(rf"^({re.escape(LOG_FILE_PREFIX)}(?:-\d+)?\.log)(?:\.(\d+))?$")


@dataclass(frozen=True)
class LogLine:
    """One line of sentimon JSON: its time, its fields, and its text as written."""

    ts: datetime
    record: dict
    text: str


@dataclass
class ReadStats:
    """What was read, for the sentence that says nothing matched."""

    files: int = 0
    lines: int = 0
    skipped: int = 0  # lines that are not sentimon JSON


@dataclass
class LogFileGroup:
    """One log file and its rotated backups: `rotated` oldest first, then `current`."""

    current: Path
    rotated: list[Path] = field(default_factory=list)

    def paths(self) -> list[Path]:
        """Every file of the group that exists, oldest first."""
        return [*self.rotated, *([self.current] if self.current.is_file() else [])]


def find_log_files(directory: Path) -> list[LogFileGroup]:
    """sentimon's log files in `directory`, one group per file the service writes.

    NotADirectoryError or FileNotFoundError when `directory` is not a directory.
    """
    backups: dict[str, dict[int, Path]] = {}
    for path in directory.iterdir():
        match = _LOG_FILE.match(path.name)
        if match is None or not path.is_file():
            continue
        base, number = match.groups()
        backups.setdefault(base, {})
        if number is not None:
            backups[base][int(number)] = path
    return [
        LogFileGroup(directory / base, [numbered[n] for n in sorted(numbered, reverse=True)])
        for base, numbered in sorted(backups.items())
    ]


def is_log_file_name(name: str, *, rotated: bool) -> bool:
    """Whether `name` is one of the service's log files (a rotated backup, or the file
    being written)."""
    match = _LOG_FILE.match(name)
    return match is not None and (match.group(2) is not None) == rotated


def parse_line(raw: bytes) -> LogLine | None:
    """The line as sentimon JSON, or None when it is not: not JSON, not an object, no `ts`."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:  # also invalid UTF-8: binary junk
        return None
    if not isinstance(record, dict) or not isinstance(record.get("ts"), str):
        return None
    try:
        ts = datetime.fromisoformat(record["ts"])
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return LogLine(ts, record, raw.decode("utf-8").rstrip("\r\n"))


def parse_lines(lines: Iterable[bytes], stats: ReadStats) -> Iterator[LogLine]:
    """Each line parsed; blank lines ignored, the others that are not sentimon JSON counted."""
    for raw in lines:
        if not raw.strip():
            continue
        stats.lines += 1
        line = parse_line(raw)
        if line is None:
            stats.skipped += 1
        else:
            yield line


def read_file(path: Path, stats: ReadStats) -> Iterator[LogLine]:
    """The file's lines in the order written."""
    with path.open("rb") as file:
        stats.files += 1
        yield from parse_lines(file, stats)


def merge_in_time_order(sources: Iterable[Iterable[LogLine]]) -> Iterator[LogLine]:
    """Lines of several sources, each already in time order, in one time order.

    A tie keeps the sources' order, so lines of the same millisecond in one file stay
    in the order they were written.
    """
    return heapq.merge(*sources, key=lambda line: line.ts)


def read_groups(groups: Iterable[LogFileGroup], stats: ReadStats) -> Iterator[LogLine]:
    """Every line of every group, in time order; one file per group is open at a time."""
    return merge_in_time_order(
        itertools.chain.from_iterable(read_file(path, stats) for path in group.paths())
        for group in groups
    )

"""A request's log lines for the console, read as `sentimon logs --request-id` reads them:
every log file of the API's directory, rotated and per-worker, merged in time order."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from sentimon.logs.filters import LogFilter
from sentimon.logs.reader import ReadStats, find_log_files, read_groups
from sentimon.observability.context import REQUEST_ID_PATTERN

# The ids the API accepts as X-Request-ID: no other can name a request's lines.
REQUEST_ID = re.compile(REQUEST_ID_PATTERN)
MAX_LINES = 200


class NoLogDirectory(LookupError):
    """The console's log directory does not exist (the API never ran, or writes elsewhere)."""


def request_log_lines(directory: Path, request_id: str) -> dict[str, Any]:
    """The request's first MAX_LINES log lines, oldest first, as records; blocking."""
    if not directory.is_dir():
        raise NoLogDirectory(
            f"no log directory at {directory} (SENTIMON_CONSOLE_LOG_DIR names another)"
        )
    stats = ReadStats()
    log_filter = LogFilter(request_id=request_id)
    lines = read_groups(find_log_files(directory), stats)
    matching = (line.record for line in lines if log_filter.matches(line))
    found = list(itertools.islice(matching, MAX_LINES + 1))
    return {
        "request_id": request_id,
        "lines": found[:MAX_LINES],
        "truncated": len(found) > MAX_LINES,
        "files": stats.files,
        "log_dir": str(directory),
    }

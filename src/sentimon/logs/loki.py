"""`--loki`: the same filters as a LogQL query, sent to Loki's query_range API.

The labels are the collector's (deploy/collector/config.alloy): `job`, `service`, `stream`
and `level` (its case depends on the collector's release: matched without case);
`request_id` travels as structured metadata, which a label filter placed before any
parser matches. Every other field is matched after `| json`, on the JSON line, which
holds whether or not the collector also sends a field (trace_id) as structured metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from sentimon.logs.filters import LEVEL_NAMES, LogFilter
from sentimon.queries.promql import SENTIMON_JOB

QUERY_RANGE_PATH = "/loki/api/v1/query_range"
# sentimon writes each line to several streams; stdout holds every INFO-and-above line
# once, in every mode (the file is missing in Kubernetes), as the Logs dashboard reads it.
STREAM_MATCHERS = (SENTIMON_JOB, 'stream="stdout"')
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class LokiError(Exception):
    """Loki could not be asked, or did not answer with log lines."""


@dataclass(frozen=True)
class LokiAnswer:
    lines: list[bytes]  # the log lines, oldest first
    truncated: bool  # `limit` lines came back: older ones may have been left out


def _quoted(value: str) -> str:
    """A LogQL double-quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def logql(log_filter: LogFilter) -> str:
    """The LogQL log query that selects what `log_filter` keeps (its time aside)."""
    matchers = list(STREAM_MATCHERS)
    if log_filter.min_level is not None and log_filter.min_level > min(LEVEL_NAMES):
        names = [name for number, name in LEVEL_NAMES.items() if number >= log_filter.min_level]
        matchers.append(f"level=~{_quoted('(?i)' + '|'.join(names))}")
    query = "{" + ", ".join(matchers) + "}"
    if log_filter.request_id is not None:
        query += f" | request_id={_quoted(log_filter.request_id)}"
    fields = []
    if log_filter.trace_id is not None:
        fields.append(("trace_id", log_filter.trace_id.lower()))  # W3C: lowercase hex
    if log_filter.route is not None:
        fields.append(("path", log_filter.route))
    if fields:
        query += " | json" + "".join(f" | {name}={_quoted(value)}" for name, value in fields)
    return query


def _nanoseconds(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(microseconds=1) * 1000


def query_range(
    url: str,
    query: str,
    *,
    start: datetime,
    end: datetime,
    limit: int,
    timeout: float = 30,
    transport: httpx.BaseTransport | None = None,
) -> LokiAnswer:
    """The newest `limit` lines that `query` selects between `start` and `end`."""
    params = {
        "query": query,
        "start": str(_nanoseconds(start)),
        "end": str(_nanoseconds(end)),
        "limit": str(limit),
        "direction": "backward",  # with a limit, the newest lines are the ones kept
    }
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.get(url.rstrip("/") + QUERY_RANGE_PATH, params=params)
    except httpx.HTTPError as exc:
        raise LokiError(f"cannot ask Loki at {url}: {exc}") from None
    if response.status_code != httpx.codes.OK:
        raise LokiError(
            f"Loki at {url} answered {response.status_code}: {response.text.strip()[:500]}"
        )
    try:
        body = response.json()
        data = body["data"]
        if body.get("status") != "success" or data.get("resultType") != "streams":
            raise ValueError(
                f"status {body.get('status')!r}, resultType {data.get('resultType')!r}"
            )
        entries = [
            (int(value[0]), value[1].encode())
            for stream in data["result"]
            for value in stream["values"]
        ]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise LokiError(f"Loki at {url} did not answer with log lines: {exc!r}") from None
    entries.sort(key=lambda entry: entry[0])
    return LokiAnswer([line for _, line in entries], truncated=len(entries) >= limit)

"""How `sentimon logs` prints a line: one readable line per record, or the JSON as written."""

from __future__ import annotations

import re
import sys

import typer

from sentimon.logs.reader import LogLine

_LEVEL_COLOURS = {
    "DEBUG": {"dim": True},
    "WARNING": {"fg": "yellow"},
    "ERROR": {"fg": "red", "bold": True},
    "CRITICAL": {"fg": "white", "bg": "red", "bold": True},
}
# Log fields carry what clients sent (a path, say): never let them steer the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(value: object) -> str:
    text = str(value)
    text = text.replace("\n", "\\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def human_line(line: LogLine) -> str:
    """Time, level, request id and message; for request lines the status and duration; for
    a traceback its last line."""
    record = line.record
    level = _printable(record.get("level", "-"))
    styled_level = typer.style(f"{level:<8}", **_LEVEL_COLOURS.get(level, {}))
    message = _printable(record.get("message", ""))
    extra = []
    status = record.get("status")
    if status is not None and not message.endswith(f" {status}"):
        extra.append(_printable(status))
    duration = record.get("duration_ms")
    if isinstance(duration, int | float):
        extra.append(f"{duration:g} ms")
    exception = record.get("exception")
    if isinstance(exception, str) and exception.strip():
        extra.append(_printable(exception.strip().splitlines()[-1]))
    tail = f"  ({', '.join(extra)})" if extra else ""
    request_id = _printable(record.get("request_id") or "-")
    return f"{record['ts']}  {styled_level} {request_id}  {message}{tail}"


class Printer:
    """Writes lines to stdout, readable (colour on a terminal only) or as JSON."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self.printed = 0

    def emit(self, line: LogLine) -> None:
        if self.as_json:
            sys.stdout.write(line.text + "\n")
        else:
            typer.echo(human_line(line), nl=True)
        self.printed += 1

    def flush(self) -> None:
        sys.stdout.flush()

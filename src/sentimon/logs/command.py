"""`sentimon logs`: the service's log lines that match the filters, from its files or Loki.

Exit status: 0 when lines were printed (or `--follow` was stopped), 1 when none matched,
2 when there was nothing to read (no such directory, Loki not answering) or an option
was wrong.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from sentimon.logs.display import Printer
from sentimon.logs.filters import LogFilter, iso_utc, parse_level, parse_since
from sentimon.logs.follow import Follower
from sentimon.logs.loki import LokiError, logql, query_range
from sentimon.logs.reader import LogFileGroup, ReadStats, find_log_files, parse_lines, read_groups

# Loki's own default for query_range when no start is given.
LOKI_DEFAULT_SINCE = timedelta(hours=1)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _report_skipped(stats: ReadStats) -> None:
    if stats.skipped:
        verb = "is" if stats.skipped == 1 else "are"
        typer.echo(
            f"skipped {_plural(stats.skipped, 'line')} that {verb} not sentimon JSON", err=True
        )


def _default_log_dirs() -> tuple[Path, Path]:
    """The native stack's API log directory, then `sentimon serve`'s default (./logs)."""
    from sentimon.settings import Settings
    from sentimon.stack.layout import Layout
    from sentimon.stack.settings import StackSettings

    # deploy_dir is given so that StackSettings does not look for sentimon's home,
    # which an installed package may lack: only the state directory matters here.
    stack = Layout(StackSettings(deploy_dir=Path()).state_dir).api_log_dir
    return stack, Settings.model_fields["log_dir"].default


def _places(paths: list[Path], log_dir: Path | None) -> list[Path]:
    if paths:
        return paths
    if log_dir is not None:
        if not log_dir.is_dir():
            raise _fail(f"no log directory at {log_dir} (--log-dir or SENTIMON_LOG_DIR)", 2)
        return [log_dir]
    stack, serve = _default_log_dirs()
    for candidate in (stack, serve):
        if candidate.is_dir():
            return [candidate]
    raise _fail(
        f"no log directory here: neither the native stack's ({stack}) nor `sentimon serve`'s "
        f"({serve}) exists. Name one with --log-dir or SENTIMON_LOG_DIR, or give a log file "
        "or directory as an argument.",
        2,
    )


def _read_files(
    places: list[Path], log_filter: LogFilter, printer: Printer, *, follow: bool
) -> None:
    directories, files = [], []
    for place in places:
        if place.is_dir():
            directories.append(place)
        elif place.is_file():
            files.append(place)
        else:
            raise _fail(f"no log file or directory at {place}", 2)
    stats = ReadStats()
    if follow:
        _follow(Follower(directories, files, stats), log_filter, printer, stats)
        return
    groups = [LogFileGroup(path) for path in files]
    groups += [group for directory in directories for group in find_log_files(directory)]
    for line in read_groups(groups, stats):
        if log_filter.matches(line):
            printer.emit(line)
    _report_skipped(stats)
    if not printer.printed:
        where = ", ".join(str(place) for place in places)
        raise _fail(
            f"no log line{log_filter.describe()} in {where} "
            f"({_plural(stats.files, 'file')}, {_plural(stats.lines, 'line')} read)",
            1,
        )


def _follow(follower: Follower, log_filter: LogFilter, printer: Printer, stats: ReadStats) -> None:
    """Print what the files hold, then every line appended, until Ctrl-C."""
    try:
        for line in follower.history():
            if log_filter.matches(line):
                printer.emit(line)
        printer.flush()
        for lines in follower.forever():
            for line in lines:
                if log_filter.matches(line):
                    printer.emit(line)
            printer.flush()
    except KeyboardInterrupt:
        pass
    finally:
        follower.close()
        _report_skipped(stats)


def _ask_loki(url: str, log_filter: LogFilter, printer: Printer, limit: int) -> None:
    now = datetime.now(UTC)
    if log_filter.since is None:
        log_filter = dataclasses.replace(log_filter, since=now - LOKI_DEFAULT_SINCE)
    query = logql(log_filter)
    try:
        answer = query_range(url, query, start=log_filter.since, end=now, limit=limit)
    except LokiError as exc:
        raise _fail(str(exc), 2) from None
    stats = ReadStats()
    for line in parse_lines(answer.lines, stats):
        if log_filter.matches(line):
            printer.emit(line)
    _report_skipped(stats)
    if answer.truncated:
        typer.echo(
            f"Loki sent {limit} lines, the newest since {iso_utc(log_filter.since)}: "
            "older ones may match too (raise --limit, or narrow --since)",
            err=True,
        )
    if not printer.printed:
        raise _fail(
            f"no log line{log_filter.describe()} in Loki at {url} "
            f"({_plural(stats.lines, 'line')} returned for {query})",
            1,
        )


def _on_command_line(ctx: typer.Context, name: str) -> bool:
    """Whether the option was given on the command line, not by its variable or default."""
    # Compared by name: the enum is click's, or the copy of click that newer typers carry.
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _quiet_broken_pipe() -> typer.Exit:
    # The reader went away (`sentimon logs | head`): stop, and keep the interpreter's
    # last flush of stdout from failing again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return typer.Exit(0)


def logs_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Log files or directories to read [default: --log-dir].",
            show_default=False,
        ),
    ] = None,
    request_id: Annotated[
        str | None, typer.Option(help="Only lines of this request (its X-Request-ID).")
    ] = None,
    trace_id: Annotated[
        str | None, typer.Option(help="Only lines of this W3C trace (the trace_id field).")
    ] = None,
    level: Annotated[
        str | None,
        typer.Option(
            help="This level and above: debug, info, warn(ing), err(or), crit(ical); any case."
        ),
    ] = None,
    route: Annotated[
        str | None, typer.Option(help="Only request lines of this path, e.g. /predict.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only lines from the last 30s, 15m, 2h (...), or since an ISO 8601 time "
            "(UTC unless it says otherwise) [default with --loki: 1h]."
        ),
    ] = None,
    log_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="SENTIMON_LOG_DIR",
            help="The API's log directory [default: the native stack's, "
            ".sentimon/logs/sentimon, when there is one, else logs].",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the matching lines as written: JSON lines.")
    ] = False,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            "-f",
            help="Then print each matching line as it is written, across rotations, until Ctrl-C.",
        ),
    ] = False,
    loki: Annotated[
        str | None,
        typer.Option(
            envvar="SENTIMON_LOKI_URL",
            help="Ask this Loki (e.g. http://127.0.0.1:3100) instead of reading files; "
            "a file or directory argument, or --log-dir, wins over SENTIMON_LOKI_URL.",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, help="With --loki: the most lines asked for (the newest).")
    ] = 1000,
) -> None:
    """The service's log lines that match every filter given, oldest first: from its JSON
    log files (rotated and per-worker files too), or from Loki with --loki."""
    now = datetime.now(UTC)
    try:
        min_level = None if level is None else parse_level(level)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--level") from None
    try:
        start = None if since is None else parse_since(since, now)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None
    log_filter = LogFilter(request_id, trace_id, min_level, route, start)

    files_named = bool(paths) or _on_command_line(ctx, "log_dir")
    if files_named and _on_command_line(ctx, "loki"):
        raise typer.BadParameter(
            "reads Loki, not files: drop the files or --log-dir, or --loki", param_hint="--loki"
        )
    use_loki = bool(loki) and not files_named
    if use_loki and follow:
        raise typer.BadParameter(
            "follows files; for Loki, use Grafana's live view or `logcli query --tail`",
            param_hint="--follow",
        )

    printer = Printer(as_json=json_output)
    try:
        if use_loki:
            _ask_loki(loki, log_filter, printer, limit)
        else:
            _read_files(_places(paths or [], log_dir), log_filter, printer, follow=follow)
        printer.flush()
    except BrokenPipeError:
        raise _quiet_broken_pipe() from None
    except OSError as exc:
        raise _fail(f"cannot read the logs: {exc}", 2) from None

"""JSON logging to stdout, stderr, a rotated file and syslog, each record formatted once.

The calling thread only formats the record (python-json-logger with orjson) and
puts it on a bounded queue; a writer thread takes the lines off it a burst at a
time and hands them to each sink's own thread (log_sinks.py). So a slow disk, a
full disk or a syslog nobody reads never blocks the event loop, another sink or
the shutdown, and never fails a request: what a sink could not write is counted,
and reported once per outage, not raised.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import stat
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pythonjsonlogger.orjson import OrjsonFormatter

from sentimon.observability.context import request_id_var, trace_id_var
from sentimon.observability.log_sinks import (
    Flushed,
    LineSink,
    LogObserver,
    Notice,
    RotatingFileSink,
    SinkHealth,
    SinkWriter,
    StreamSink,
    SyslogSink,
)

LOG_FILE_PREFIX = "sentimon"
# How long the writer thread lets lines gather once woken by an INFO or DEBUG line:
# such lines reach the sinks at most this late (a warning or an error comes at once),
# and under steady traffic the thread wakes about 1/WRITE_LINGER_SECONDS times a second.
WRITE_LINGER_SECONDS = 0.02
# Lines the queue holds before it drops new ones (warnings and errors may use a tenth more):
# at 2,000 requests a second, five seconds of request lines.
QUEUE_LINES = 10_000
# A flush (and the flush at shutdown) stops waiting for a sink whose write has not
# returned for this long: it is stuck. It waits for a slow sink, one whose writes return,
# at most FLUSH_MAX_SECONDS. So SIGTERM, which flushes twice, ends within seconds.
FLUSH_SECONDS = 2.0
FLUSH_MAX_SECONDS = 5.0
# What stop() gives the writer threads to end once they have flushed.
STOP_GRACE_SECONDS = 0.5
# Why a line reached no sink: the queue was full, or the line could not be formatted.
DROP_REASONS = ("queue_full", "unformattable")

# LogRecord attributes that are not copied into the JSON line.
_RESERVED = (
    "args", "created", "exc_info", "exc_text", "filename", "funcName", "levelname", "levelno",
    "lineno", "module", "msecs", "msg", "name", "pathname", "process", "processName",
    "relativeCreated", "stack_info", "thread", "threadName", "taskName", "message", "color_message",
)  # fmt: skip


def _scrub(value):
    """Make strings encodable: lone surrogates (valid in a Python str, not in UTF-8) escaped."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


class PendingLine(NamedTuple):
    """A line still to be formatted, with what it needs from the moment it was written."""

    created: float
    name: str
    message: str
    request_id: str | None
    trace_id: str | None
    fields: dict


class JsonLineFormatter(OrjsonFormatter):
    """One JSON object per line: ts, level, logger, message, request_id, pid, then extras."""

    def __init__(self) -> None:
        super().__init__(reserved_attrs=_RESERVED)
        # The pid is taken here, not per record (configure_logging turns that off).
        self._pid = os.getpid()
        os.register_at_fork(after_in_child=self._forked)
        self._second_text = (-1, "")  # one tuple, replaced whole: two threads format lines

    def _forked(self) -> None:
        self._pid = os.getpid()

    def _timestamp(self, created: float, msecs: float) -> str:
        second = int(created)
        cached, text = self._second_text
        if second != cached:  # strftime once a second, not once a line
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second_text = (second, text)
        return f"{text}.{int(msecs):03d}Z"

    def _head(
        self,
        created: float,
        msecs: float,
        level: str,
        name: str,
        message: str,
        request_id: str | None,
        trace_id: str | None,
    ) -> dict:
        """The fields every line starts with."""
        data = {
            "ts": self._timestamp(created, msecs),
            "level": level,
            "logger": name,
            "message": message,
        }
        if request_id is not None:
            data["request_id"] = request_id
        if trace_id is not None:  # only for requests that came with a traceparent
            data["trace_id"] = trace_id
        data["pid"] = self._pid
        return data

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data |= self._head(
            record.created,
            record.msecs,
            record.levelname,
            record.name,
            record.getMessage(),
            request_id_var.get(),
            trace_id_var.get(),
        )
        skip = self._skip_fields
        for key, value in record.__dict__.items():
            if key not in skip and key[0] != "_":
                log_data[key] = value
        if record.exc_info:
            log_data["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            log_data["stack"] = self.formatStack(record.stack_info)

    def line(self, level: int, pending: PendingLine) -> str:
        """The line `logging.getLogger(name).log(level, message, extra=fields)` would have
        given where and when `pending` was taken."""
        created = pending.created
        data = self._head(
            created,
            (created - int(created)) * 1000,
            logging.getLevelName(level),
            pending.name,
            pending.message,
            pending.request_id,
            pending.trace_id,
        )
        data |= pending.fields
        return self.serialize_log_record(data)

    def jsonify_log_record(self, log_data: dict) -> str:
        try:
            return super().jsonify_log_record(log_data)
        except TypeError:  # a str with lone surrogates: never lose the line over it
            return super().jsonify_log_record(_scrub(log_data))


class _FrontHandler(logging.handlers.QueueHandler):
    """Formats in the caller's thread (so the request id is still in context), counts lines,
    and queues each as (level number, finished line): the record itself goes no further.

    The queue holds at most `max_lines` lines, and warnings and errors a tenth more: past
    that a new line is dropped and counted, so memory stays bounded when the writer
    thread falls behind.
    """

    def __init__(self, q: queue.SimpleQueue, health: SinkHealth, max_lines: int) -> None:
        super().__init__(q)
        self.health = health
        self.observer: LogObserver | None = None
        self.setup: LoggingSetup | None = None  # what configure_logging made with this
        self.max_lines = max_lines
        self.max_urgent_lines = max_lines + max_lines // 10

    def _full(self, level: int) -> bool:
        size = self.queue.qsize()
        if size < self.max_lines or (level >= logging.WARNING and size < self.max_urgent_lines):
            return False
        self.health.count_dropped("queue_full", error=f"{size} lines wait to be written")
        return True

    def emit(self, record: logging.LogRecord) -> None:
        if self.observer is not None:
            self.observer.count_line(record.levelname)
        if not self._full(record.levelno):
            super().emit(record)

    def put_line(self, level: int, name: str, message: str, fields: dict) -> None:
        """Queue a line without a LogRecord, for the writer thread to format: the request
        line, the hottest log path. `fields` must not change afterwards."""
        if self.observer is not None:
            self.observer.count_line(logging.getLevelName(level))
        if not self._full(level):
            pending = PendingLine(
                time.time(), name, message, request_id_var.get(), trace_id_var.get(), fields
            )
            self.queue.put_nowait((level, pending))

    def prepare(self, record: logging.LogRecord) -> tuple[int, str]:  # type: ignore[override]
        # Neither copies nor changes the record, as the base class does, so other
        # handlers (pytest's caplog) still see it whole.
        return record.levelno, self.format(record)


class _Dispatcher:
    """The thread between the queue and the sinks, which takes lines a burst at a time.

    Woken for every line, and flushing every sink after every line, the writer
    thread cost 70 to 120 µs of CPU per request under load on a 2-core machine;
    a burst at a time, 15 to 30 µs; and writing each burst to a sink in one call
    less again (docs/performance.md). After the first line of a burst (unless it is
    a warning or an error) it waits `linger` seconds, so the lines that come
    meanwhile join it; it formats the lines queued unformatted (PendingLine) and
    hands the burst to every sink's writer, which never blocks.
    """

    def __init__(
        self,
        q: queue.SimpleQueue,
        writers: list[SinkWriter],
        *,
        linger: float,
        formatter: JsonLineFormatter,
        health: SinkHealth,
        max_burst: int,
    ) -> None:
        self.queue = q
        self.max_burst = max_burst
        self.writers = writers
        self.linger = linger
        self.formatter = formatter
        self.health = health
        self._thread = threading.Thread(target=self._run, name="sentimon-log", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> None:
        self._thread.join(max(timeout, 0))

    def _run(self) -> None:
        while True:
            item = self.queue.get()  # sleeps until a line comes after a quiet spell
            if isinstance(item, tuple) and item[0] < logging.WARNING:
                time.sleep(self.linger)  # a warning or an error goes out at once
            if self._burst(item):
                return

    def _burst(self, item: tuple[int, str | PendingLine] | Flushed) -> bool:
        """Hand `item` and everything queued after it to the sinks; True on stop."""
        lines = []
        while True:
            if isinstance(item, Flushed):  # every line queued before it goes first
                self._hand_over(lines)
                lines = []
                for writer in self.writers:
                    writer.mark(item)
                if item.stop:
                    return True
            else:
                lines.append(item)
                if len(lines) >= self.max_burst:  # under a flood the queue never empties
                    break
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
        self._hand_over(lines)
        return False

    def _hand_over(self, items: list[tuple[int, str | PendingLine]]) -> None:
        # In a burst, formatting a line costs a third of what it costs inside a request.
        lines = [(level, self._text(level, item)) for level, item in items]
        lines = [line for line in lines if line[1] is not None]
        if lines:
            for writer in self.writers:
                writer.offer(lines)

    def _text(self, level: int, item: str | PendingLine) -> str | None:
        if isinstance(item, str):
            return item
        try:
            return self.formatter.line(level, item)
        except Exception as exc:  # never lose the burst, nor the thread, over one line
            self.health.count_dropped("unformattable", error=repr(exc))
            return None


def log_file_path(log_dir: Path, per_process: bool) -> Path:
    """One file per process when several workers write, so rotations never race."""
    name = f"{LOG_FILE_PREFIX}-{os.getpid()}.log" if per_process else f"{LOG_FILE_PREFIX}.log"
    return Path(log_dir) / name


# Writes one line: level number, message, and the fields the line carries after the usual ones.
LineWriter = Callable[[int, str, dict], None]


def logger_line_writer(logger: logging.Logger) -> LineWriter:
    """The same through `logger.log`, for when configure_logging did not run (library use)."""

    def write(level: int, message: str, fields: dict) -> None:
        logger.log(level, message, extra=fields)

    return write


@dataclass
class LoggingSetup:
    """What configure_logging started; stop() flushes every sink, waiting a bounded time."""

    dispatcher: _Dispatcher
    writers: dict[str, SinkWriter]
    health: SinkHealth
    file_path: Path | None
    front: _FrontHandler
    stuck: set[str] = field(default_factory=set)  # sinks that missed the last flush

    def count_with(self, observer: LogObserver) -> None:
        """Count lines, drops and sink failures with `observer` from now on (ServiceMetrics)."""
        self.health.observe(observer, self.writers, DROP_REASONS)
        self.front.observer = observer

    def line_writer(self, logger: logging.Logger) -> LineWriter:
        """Writes `logger`'s lines straight onto the queue, skipping the logging module's
        record, handler and formatter calls, and leaves the formatting to the writer
        thread, which does it a burst at a time: the same line as `logger.log` would
        write, for about 5 µs of the request's time instead of 31 (docs/performance.md)."""
        front = self.front

        def write(level: int, message: str, fields: dict) -> None:
            if logger.isEnabledFor(level):
                front.put_line(level, logger.name, message, fields)

        return write

    def _mark(self, *, stop: bool) -> Flushed:
        marker = Flushed(stop=stop)
        self.front.queue.put_nowait(marker)  # past the bound: it must get through
        return marker

    def _flush(self, timeout: float) -> None:
        """Mark the queue and wait until every sink has written what came before the mark;
        but not for a sink stuck in a write for `timeout` seconds, nor for one still stuck
        since the last flush (SIGTERM flushes twice: at the end of the lifespan and at
        exit), nor past FLUSH_MAX_SECONDS for one that is slow."""
        marker = self._mark(stop=False)
        give_up = time.monotonic() + FLUSH_MAX_SECONDS
        waiting = set(self.writers) - self.stuck
        while not marker.wait(waiting, 0.05) and time.monotonic() < give_up:
            waiting = {name for name in waiting if not self.writers[name].stuck(timeout)}
        self.stuck = set(self.writers) - marker.finished

    def flush(self, timeout: float = FLUSH_SECONDS) -> bool:
        """Write out everything queued so far, waiting for the sinks as `_flush` does;
        logging goes on. True when every sink took it all."""
        if not self.dispatcher.running:
            return True  # stopped: nothing flows any more
        self._flush(timeout)
        return not self.stuck

    def stop(self, timeout: float = FLUSH_SECONDS) -> bool:
        """Flush, then end the writer threads. A sink stuck in a write is left to its
        (daemon) thread, unclosed. True when every sink took every line."""
        if not self.dispatcher.running:
            return True  # already stopped
        # Flushed first, so that the notices the last writes give (a sink working again)
        # are on stderr's backlog before it stops.
        self._flush(timeout)
        stopped = self._mark(stop=True)
        stopped.wait(set(self.writers) - self.stuck, STOP_GRACE_SECONDS)
        self.dispatcher.join(STOP_GRACE_SECONDS)
        for name, writer in self.writers.items():
            if name in stopped.finished and writer.join(STOP_GRACE_SECONDS):
                writer.sink.close()
            elif isinstance(writer.sink, RotatingFileSink):
                writer.sink.abandoned = True
        return not self.stuck


def _unix_syslog_state(path: str | None) -> tuple[str | None, bool]:
    """(what to warn about, whether the sink is worth having) for a unix syslog path;
    (None, True) for UDP. A missing socket may come later (the sink connects again on
    each burst); a path that is something else, such as the empty directory a container
    engine makes for a missing /dev/log, never turns into one."""
    if path is None:
        return None, True
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return f"syslog socket {path} is not there (yet)", True
    except OSError as exc:
        return f"syslog socket {path} unusable, continuing without it: {exc}", False
    if stat.S_ISSOCK(mode):
        return None, True
    kind = "a directory" if stat.S_ISDIR(mode) else "not a socket"
    return (
        f"syslog address {path} is {kind}: the syslog sink is off (mount the host's "
        "syslog socket there, or set SENTIMON_SYSLOG_ADDRESS empty)"
    ), False


def configure_logging(
    *,
    level: str = "INFO",
    log_dir: Path | None = None,
    per_process_file: bool = False,
    max_bytes: int = 10 * 1024 * 1024,
    backups: int = 5,
    syslog_address: str = "",
    observer: LogObserver | None = None,
    queue_lines: int = QUEUE_LINES,
) -> LoggingSetup:
    """Route every logger (uvicorn's too) through one JSON formatter to the four sinks."""
    health = SinkHealth()
    sinks: list[tuple[str, LineSink, int]] = [
        ("stdout", StreamSink(sys.stdout), logging.INFO),
        ("stderr", StreamSink(sys.stderr), logging.WARNING),
    ]
    file_path = None
    if log_dir is not None:
        file_path = log_file_path(log_dir, per_process_file)
        sinks.append(("file", RotatingFileSink(file_path, max_bytes, backups), logging.NOTSET))
    syslog_problem = None
    if syslog_address:
        try:
            syslog = SyslogSink(syslog_address)
        except OSError as exc:  # e.g. a host name that does not resolve
            syslog_problem = f"syslog at {syslog_address} unusable, continuing without it: {exc}"
        else:
            syslog_problem, usable = _unix_syslog_state(syslog.unix_path)
            if usable:
                sinks.append(("syslog", syslog, logging.WARNING))
    writers = {name: SinkWriter(name, sink, sink_level, health) for name, sink, sink_level in sinks}
    formatter = JsonLineFormatter()
    health.notice = _last_resort(formatter, writers, health)
    q: queue.SimpleQueue = queue.SimpleQueue()
    front = _FrontHandler(q, health, queue_lines)
    front.setFormatter(formatter)
    dispatcher = _Dispatcher(
        q,
        list(writers.values()),
        linger=WRITE_LINGER_SECONDS,
        formatter=formatter,
        health=health,
        max_burst=queue_lines,
    )
    for writer in writers.values():
        writer.start()
    dispatcher.start()

    # The JSON line carries none of the caller's file, line, thread or process name, so the
    # records skip finding them (the logging HOWTO's "Optimization"); the formatter takes
    # the pid itself. A request line costs a fifth less to log without them. No public API
    # turns off the caller lookup but this module global.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False

    root = logging.getLogger()
    replaced = [old for old in root.handlers if isinstance(old, _FrontHandler)]
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(front)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi"):
        lib_logger = logging.getLogger(name)
        lib_logger.handlers.clear()
        lib_logger.propagate = True
    # Our middleware writes one line per request; uvicorn's own access line would double it.
    logging.getLogger("uvicorn.access").disabled = True

    setup = LoggingSetup(dispatcher, writers, health, file_path, front)
    # Logging is the process's, not an app's: the setup this one replaces (an earlier
    # create_app in the same process) writes its last lines and ends its threads.
    for old in replaced:
        if old.setup is not None:
            old.setup.stop()
    front.setup = setup
    if observer is not None:
        setup.count_with(observer)
    if syslog_problem is not None:
        logging.getLogger(__name__).warning(syslog_problem)
    return setup


def _last_resort(
    formatter: JsonLineFormatter, writers: dict[str, SinkWriter], health: SinkHealth
) -> Notice:
    """Writes the logging's own notices (a sink failing, working again, lines dropped)
    straight to stderr, past the queue, which may be what is full; stderr's own to stdout."""

    def notice(level: int, message: str, fields: dict, about: str | None) -> None:
        text = formatter.line(
            level, PendingLine(time.time(), __name__, message, None, None, fields)
        )
        writers["stdout" if about == "stderr" else "stderr"].put([(level, text)])
        health.count_line(level)

    return notice

"""JSON logging to stdout, stderr, a rotated file and syslog, each record formatted once.

The calling thread only formats the record (python-json-logger with orjson) and
puts it on a queue; a listener thread writes the finished line to every sink.
So a slow disk, a full disk or an unreachable syslog never blocks the event loop
or fails a request: a failing sink is counted and reported once, not raised.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import queue
import socket
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import orjson
from pythonjsonlogger.orjson import OrjsonFormatter

from sentimon.observability.context import request_id_var

LOG_FILE_PREFIX = "sentimon"
# How long the writer thread lets lines gather once woken by an INFO or DEBUG line:
# such lines reach the sinks at most this late (a warning or an error comes at once),
# and under steady traffic the thread wakes about 1/WRITE_LINGER_SECONDS times a second.
WRITE_LINGER_SECONDS = 0.02

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
        )
        data |= pending.fields
        return self.serialize_log_record(data)

    def jsonify_log_record(self, log_data: dict) -> str:
        try:
            return super().jsonify_log_record(log_data)
        except TypeError:  # a str with lone surrogates: never lose the line over it
            return super().jsonify_log_record(_scrub(log_data))


@dataclass
class SinkFailures:
    """Counts writes a sink could not make; reports the first of each sink on stderr."""

    counts: dict[str, int] = field(default_factory=dict)

    def handler_error(self, name: str) -> Callable[[logging.LogRecord], None]:
        def handle_error(record: logging.LogRecord) -> None:
            self.counts[name] = self.counts.get(name, 0) + 1
            if self.counts[name] == 1:
                exc = sys.exc_info()[1]
                sys.stderr.write(
                    orjson.dumps(
                        {
                            "level": "ERROR",
                            "logger": __name__,
                            "message": f"log sink {name} failed: {exc!r}",
                        }
                    ).decode()
                    + "\n"
                )

        return handle_error


class _CountingQueueHandler(logging.handlers.QueueHandler):
    """Formats in the caller's thread (so the request id is still in context), counts lines,
    and queues each as (level number, finished line): the record itself goes no further."""

    def __init__(self, q: queue.SimpleQueue, on_record: Callable[[str], None] | None) -> None:
        super().__init__(q)
        self.on_record = on_record

    def emit(self, record: logging.LogRecord) -> None:
        if self.on_record is not None:
            self.on_record(record.levelname)
        super().emit(record)

    def put_line(self, level: int, name: str, message: str, fields: dict) -> None:
        """Queue a line without a LogRecord, for the writer thread to format: the request
        line, the hottest log path. `fields` must not change afterwards."""
        if self.on_record is not None:
            self.on_record(logging.getLevelName(level))
        pending = PendingLine(time.time(), name, message, request_id_var.get(), fields)
        self.enqueue((level, pending))

    def prepare(self, record: logging.LogRecord) -> tuple[int, str]:  # type: ignore[override]
        # Neither copies nor changes the record, as the base class does, so other
        # handlers (pytest's caplog) still see it whole.
        return record.levelno, self.format(record)


class _BurstQueueListener(logging.handlers.QueueListener):
    """Writes lines a burst at a time: one wake-up, and one write and flush per sink, per burst.

    Woken for every line, and flushing every sink after every line, the writer
    thread cost 70 to 120 µs of CPU per request under load on a 2-core machine;
    a burst at a time, 15 to 30 µs; and writing each burst to a sink in one call,
    not a line at a time through the sink's `handle`, less again (docs/performance.md).
    After the first line of a burst (unless it is a warning or an error) it waits
    `linger` seconds, so the lines that come meanwhile join it.
    """

    def __init__(
        self,
        q: queue.SimpleQueue,
        *handlers: logging.Handler,
        linger: float,
        formatter: JsonLineFormatter,
        failures: SinkFailures,
    ) -> None:
        super().__init__(q, *handlers, respect_handler_level=True)
        self.linger = linger
        self.formatter = formatter  # for the lines queued unformatted (PendingLine)
        self.format_error = failures.handler_error("format")

    def _monitor(self) -> None:
        stopped = False
        while not stopped:
            line = self.queue.get()  # sleeps until a line comes after a quiet spell
            if line is not self._sentinel and line[0] < logging.WARNING:
                time.sleep(self.linger)  # a warning or an error goes out at once
            stopped = self._write_burst(line)

    def _write_burst(self, line: tuple[int, str | PendingLine] | None) -> bool:
        """Hand `line` and every line queued after it to the sinks; True on stop."""
        lines = []
        stopped = False
        while True:
            if line is self._sentinel:
                stopped = True  # every line queued before stop() is written
                break
            lines.append(line)
            try:
                line = self.queue.get_nowait()
            except queue.Empty:
                break
        # In a burst, formatting a line costs a third of what it costs inside a request.
        lines = [(level, self._text(level, item)) for level, item in lines]
        lines = [line for line in lines if line[1] is not None]
        if lines:
            for handler in self.handlers:
                if isinstance(handler, _LineSink):
                    handler.write_burst(lines)
                else:  # syslog: one datagram or socket write per line, as the handler does it
                    for level, text in lines:
                        if level >= handler.level:
                            handler.handle(_record_of(level, text))
        return stopped

    def _text(self, level: int, item: str | PendingLine) -> str | None:
        if isinstance(item, str):
            return item
        try:
            return self.formatter.line(level, item)
        except Exception:  # never lose the burst, nor the thread, over one line
            self.format_error(_record_of(level, item.message))
            return None


def _record_of(level: int, text: str) -> logging.LogRecord:
    """A record that carries a finished line, for handlers that want one (syslog)."""
    return logging.makeLogRecord(
        {"msg": text, "levelno": level, "levelname": logging.getLevelName(level)}
    )


class _LineSink:
    """A stream or file sink that takes a burst of finished lines in one write.

    The lines come formatted, as (level number, text), so these sinks neither
    format nor filter; a failed write counts every line it held.
    """

    def write_burst(self, lines: list[tuple[int, str]]) -> None:
        texts = [text for level, text in lines if level >= self.level]
        if not texts:
            return
        try:
            self.write_lines(texts)
        except Exception:
            for level, text in lines:
                if level >= self.level:
                    self.handleError(_record_of(level, text))

    def write_lines(self, lines: list[str]) -> None:
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()


class _BurstStreamHandler(_LineSink, logging.StreamHandler):
    pass


class _BurstRotatingFileHandler(_LineSink, logging.handlers.RotatingFileHandler):
    """Rotates between lines, on a byte count kept here rather than a stat of the file."""

    def _open(self):
        stream = super()._open()
        status = os.fstat(stream.fileno())
        self._size = status.st_size
        self._regular = stat.S_ISREG(status.st_mode)  # never rotate /dev/stdout and the like
        return stream

    def write_lines(self, lines: list[str]) -> None:
        if self.stream is None:
            self.stream = self._open()
        rotates = self.maxBytes > 0 and self._regular
        chunk: list[str] = []
        for line in lines:
            size = len(line.encode("utf-8", "surrogatepass")) + 1
            if rotates and self._size > 0 and self._size + size >= self.maxBytes:
                self._write_chunk(chunk)
                chunk = []
                self.doRollover()  # opens the next file, which starts at 0 bytes
            chunk.append(line)
            self._size += size
        self._write_chunk(chunk)

    def _write_chunk(self, chunk: list[str]) -> None:
        if chunk:
            self.stream.write("\n".join(chunk) + "\n")
            self.stream.flush()


def _stream(stream, level: int, name: str, failures: SinkFailures) -> logging.Handler:
    handler = _BurstStreamHandler(stream)
    handler.setLevel(level)
    handler.handleError = failures.handler_error(name)
    return handler


def log_file_path(log_dir: Path, per_process: bool) -> Path:
    """One file per process when several workers write, so rotations never race."""
    name = f"{LOG_FILE_PREFIX}-{os.getpid()}.log" if per_process else f"{LOG_FILE_PREFIX}.log"
    return Path(log_dir) / name


def _syslog_handler(address: str) -> logging.Handler:
    if address.startswith("udp://"):
        parts = urlsplit(address)
        if not parts.hostname or not parts.port:
            raise ValueError(f"syslog address {address!r} must look like udp://host:port")
        target: str | tuple[str, int] = (parts.hostname, parts.port)
        handler = logging.handlers.SysLogHandler(target, socktype=socket.SOCK_DGRAM)
    else:
        handler = logging.handlers.SysLogHandler(address)
    handler.ident = "sentimon: "
    return handler


# Writes one line: level number, message, and the fields the line carries after the usual ones.
LineWriter = Callable[[int, str, dict], None]


def logger_line_writer(logger: logging.Logger) -> LineWriter:
    """The same through `logger.log`, for when configure_logging did not run (library use)."""

    def write(level: int, message: str, fields: dict) -> None:
        logger.log(level, message, extra=fields)

    return write


@dataclass
class LoggingSetup:
    """What configure_logging started; stop() flushes every sink."""

    listener: logging.handlers.QueueListener
    handlers: list[logging.Handler]
    failures: SinkFailures
    file_path: Path | None

    front: _CountingQueueHandler

    def count_with(self, on_record: Callable[[str], None]) -> None:
        """Call `on_record(level)` for every line from now on (feeds log_messages_total)."""
        self.front.on_record = on_record

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

    def flush(self) -> None:
        """Write out everything queued so far; logging goes on."""
        if self.listener._thread is not None:
            self.listener.stop()
            self.listener.start()

    def stop(self) -> None:
        if self.listener._thread is None:
            return  # already stopped
        self.listener.stop()
        for handler in self.handlers:
            with contextlib.suppress(OSError, ValueError):  # a failed sink cannot flush
                handler.close()


def configure_logging(
    *,
    level: str = "INFO",
    log_dir: Path | None = None,
    per_process_file: bool = False,
    max_bytes: int = 10 * 1024 * 1024,
    backups: int = 5,
    syslog_address: str = "",
    on_record: Callable[[str], None] | None = None,
) -> LoggingSetup:
    """Route every logger (uvicorn's too) through one JSON formatter to the four sinks."""
    failures = SinkFailures()
    sinks = [
        _stream(sys.stdout, logging.INFO, "stdout", failures),
        _stream(sys.stderr, logging.WARNING, "stderr", failures),
    ]
    file_path = None
    if log_dir is not None:
        file_path = log_file_path(log_dir, per_process_file)
        file_path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = _BurstRotatingFileHandler(
            file_path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        file_handler.handleError = failures.handler_error("file")
        sinks.append(file_handler)
    syslog_problem = None
    if syslog_address:
        try:
            syslog = _syslog_handler(syslog_address)
        except OSError as exc:  # e.g. a host name that does not resolve
            syslog_problem = f"syslog at {syslog_address} unusable, continuing without it: {exc}"
        else:
            syslog.setLevel(logging.WARNING)
            syslog.handleError = failures.handler_error("syslog")
            sinks.append(syslog)
            if syslog.unixsocket and not Path(syslog_address).exists():
                # The handler connects again on every line, so syslog may come up later.
                syslog_problem = f"syslog socket {syslog_address} is not there (yet)"

    q: queue.SimpleQueue = queue.SimpleQueue()
    front = _CountingQueueHandler(q, on_record)
    formatter = JsonLineFormatter()
    front.setFormatter(formatter)
    listener = _BurstQueueListener(
        q, *sinks, linger=WRITE_LINGER_SECONDS, formatter=formatter, failures=failures
    )
    listener.start()

    # The JSON line carries none of the caller's file, line, thread or process name, so the
    # records skip finding them (the logging HOWTO's "Optimization"); the formatter takes
    # the pid itself. A request line costs a fifth less to log without them.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False

    root = logging.getLogger()
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

    if syslog_problem is not None:
        logging.getLogger(__name__).warning(syslog_problem)
    return LoggingSetup(listener, sinks, failures, file_path, front)

"""The log sinks, each on its own thread: one that is stuck or failing holds up no other.

Each sink (stdout, stderr, the file, syslog) has a writer thread and a backlog of at
most SINK_BACKLOG_LINES lines; a line that finds the backlog full is not queued but
counted as a failure of that sink, as is a line the sink's write raised on. Syslog
sends never block (a datagram socket is non-blocking, a stream socket has a timeout),
so a syslog nobody reads costs only the lines it cannot take. SinkHealth counts what
was lost and says so on stderr once when a sink starts failing and once when it
works again, not once per line.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import logging.handlers
import os
import queue
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

# Lines waiting for one sink; past this the sink is stuck and further lines count as its
# failures. Twice the queue's bound (logging.QUEUE_LINES), so that a sink that keeps up
# takes any burst whole. A request line is about 400 bytes, and the backlogs share them.
SINK_BACKLOG_LINES = 20_000
# A failing sink is said to work again once a write succeeds this long after its last
# failure: a syslog reader that keeps up only now and then makes one outage, not hundreds.
RECOVERY_QUIET_SECONDS = 2.0
# The longest one send to a unix stream syslog socket may wait (datagrams never wait).
SYSLOG_SEND_TIMEOUT_SECONDS = 0.1

Line = tuple[int, str]  # (level number, finished JSON line)


class LogObserver(Protocol):
    """What counts log lines (ServiceMetrics.logs feeds Prometheus with them)."""

    def start(self, sinks: Iterable[str], reasons: Iterable[str]) -> None:
        """Make the failure and drop counts of these sinks and reasons exist, at zero."""

    def count_line(self, level: str) -> None: ...

    def count_dropped(self, reason: str, lines: int) -> None: ...

    def count_sink_failures(self, sink: str, lines: int) -> None: ...


# A line for the last resort: (level number, message, fields, the sink it is about).
Notice = Callable[[int, str, dict, str | None], None]


@dataclass
class _Outage:
    since: float
    last_failure: float
    lines: int


def _no_notice(level: int, message: str, fields: dict, about: str | None) -> None:
    pass


class SinkHealth:
    """Lines lost, per sink and per drop reason; one notice per outage and per recovery."""

    def __init__(self, quiet_seconds: float = RECOVERY_QUIET_SECONDS) -> None:
        self.quiet_seconds = quiet_seconds
        self.failures: dict[str, int] = {}
        self.dropped: dict[str, int] = {}
        self.notice: Notice = _no_notice  # set once the sinks it writes to exist
        self._outages: dict[str, _Outage] = {}
        self._observer: LogObserver | None = None
        self._lock = threading.Lock()

    def observe(self, observer: LogObserver, sinks: Iterable[str], reasons: Iterable[str]) -> None:
        """Count with `observer` from now on, starting from what was lost before."""
        with self._lock:
            observer.start(sinks, reasons)
            for sink, lines in self.failures.items():
                observer.count_sink_failures(sink, lines)
            for reason, lines in self.dropped.items():
                observer.count_dropped(reason, lines)
            self._observer = observer

    def count_line(self, level: int) -> None:
        if self._observer is not None:
            self._observer.count_line(logging.getLevelName(level))

    def count_dropped(self, reason: str, lines: int = 1, error: str = "") -> None:
        with self._lock:
            first = reason not in self.dropped
            self.dropped[reason] = self.dropped.get(reason, 0) + lines
            if self._observer is not None:
                self._observer.count_dropped(reason, lines)
        if first:
            message = f"log lines dropped ({reason}), counted in log_messages_dropped_total"
            self.notice(logging.ERROR, f"{message}: {error}" if error else message, {}, None)

    def failed(self, sink: str, lines: int, error: str) -> None:
        """`sink` could not write `lines` lines."""
        now = time.monotonic()
        with self._lock:
            self.failures[sink] = self.failures.get(sink, 0) + lines
            if self._observer is not None:
                self._observer.count_sink_failures(sink, lines)
            outage = self._outages.get(sink)
            if outage is not None:
                outage.lines += lines
                outage.last_failure = now
                return
            self._outages[sink] = _Outage(now, now, lines)
        self.notice(
            logging.ERROR,
            f"log sink {sink} is failing: {error}; its lines are lost, and counted in "
            "log_sink_failures_total, until it works again",
            {"sink": sink, "error": error},
            sink,
        )

    def worked(self, sink: str) -> None:
        """`sink` wrote what it was given."""
        if sink not in self._outages:  # the usual case, without the lock
            return
        now = time.monotonic()
        with self._lock:
            outage = self._outages.get(sink)
            if outage is None or now - outage.last_failure < self.quiet_seconds:
                return
            del self._outages[sink]
        seconds = round(now - outage.since, 3)
        self.notice(
            logging.WARNING,
            f"log sink {sink} works again: {outage.lines} lines lost in {seconds} s",
            {"sink": sink, "lines_lost": outage.lines, "outage_seconds": seconds},
            sink,
        )


class LinesLost(Exception):
    """Some of a burst's lines were not written (the others were)."""

    def __init__(self, lines: int, error: str) -> None:
        super().__init__(error)
        self.lines = lines


class LineSink(Protocol):
    def write_lines(self, lines: list[Line]) -> None:
        """Write every line, or raise (LinesLost when only some failed)."""

    def close(self) -> None: ...


class Flushed:
    """A mark put on the queue, which each sink writer signs once it has written (or
    failed to write) every line queued before it; `stop` ends the writers too."""

    def __init__(self, *, stop: bool) -> None:
        self.stop = stop
        self.finished: set[str] = set()
        self._signed = threading.Condition()

    def done(self, writer: str) -> None:
        with self._signed:
            self.finished.add(writer)
            self._signed.notify_all()

    def wait(self, writers: Iterable[str], timeout: float) -> bool:
        """True once all of `writers` signed, False after `timeout` seconds."""
        expected = set(writers)
        with self._signed:
            return self._signed.wait_for(lambda: expected <= self.finished, max(timeout, 0))


class SinkWriter:
    """One sink on its own thread, fed a burst at a time from a bounded backlog."""

    def __init__(
        self,
        name: str,
        sink: LineSink,
        level: int,
        health: SinkHealth,
        max_lines: int = SINK_BACKLOG_LINES,
    ) -> None:
        self.name = name
        self.sink = sink
        self.level = level
        self.health = health
        self.max_lines = max_lines
        self.queued = 0  # lines given and not yet written or failed
        self._writing_since: float | None = None
        self._counting = threading.Lock()
        # A SimpleQueue wakes the thread for less CPU than a Condition: this costs per burst.
        self._backlog: queue.SimpleQueue[list[Line] | Flushed] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"sentimon-log-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def offer(self, lines: list[Line]) -> None:
        """Queue the lines at this sink's level or above; count those there is no room for."""
        level = self.level
        mine = [line for line in lines if line[0] >= level]
        if mine:
            self.put(mine)

    def put(self, lines: list[Line]) -> None:
        with self._counting:
            room = max(self.max_lines - self.queued, 0)
            taken = lines if len(lines) <= room else lines[:room]  # the newest go
            self.queued += len(taken)
        if taken:
            self._backlog.put(taken)
        if len(taken) < len(lines):
            self.health.failed(
                self.name,
                len(lines) - len(taken),
                f"{self.max_lines} lines wait for it already: the sink is stuck or too slow",
            )

    def mark(self, marker: Flushed) -> None:
        self._backlog.put(marker)

    def join(self, timeout: float) -> bool:
        self._thread.join(max(timeout, 0))
        return not self._thread.is_alive()

    def stuck(self, seconds: float) -> bool:
        """True while one write has not returned for `seconds`: a slow sink still moves."""
        since = self._writing_since
        return since is not None and time.monotonic() - since >= seconds

    def _run(self) -> None:
        backlog = self._backlog
        while True:
            items = [backlog.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    items.append(backlog.get_nowait())
            lines: list[Line] = []
            for item in items:
                if isinstance(item, list):
                    lines.extend(item)
                    continue
                self._write(lines)
                lines = []
                item.done(self.name)
                if item.stop:
                    return
            self._write(lines)

    def _write(self, lines: list[Line]) -> None:
        if not lines:
            return
        self._writing_since = time.monotonic()
        try:
            self.sink.write_lines(lines)
        except LinesLost as lost:
            self.health.failed(self.name, lost.lines, str(lost))
        except Exception as exc:  # a sink's trouble is counted and reported, never raised
            self.health.failed(self.name, len(lines), repr(exc))
        else:
            self.health.worked(self.name)
        finally:
            self._writing_since = None
            with self._counting:
                self.queued -= len(lines)


class StreamSink:
    """stdout or stderr: a burst in one write and one flush."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write_lines(self, lines: list[Line]) -> None:
        self.stream.write("\n".join(text for _, text in lines) + "\n")
        self.stream.flush()

    def close(self) -> None:
        pass  # not ours to close


class RotatingFileSink(logging.handlers.RotatingFileHandler):
    """The log file, rotated between lines on a byte count kept here, not a stat of the file.

    It opens the file (and makes its directory) on the first write, and after a failed
    write opens it again on the next: a directory that was missing or unwritable, a full
    disk, or a file deleted under it, works again as soon as the cause is gone.
    """

    abandoned = False  # set when its thread is stuck in a write at shutdown

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        super().__init__(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
        )

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        stream = super()._open()
        status = os.fstat(stream.fileno())
        self._size = status.st_size
        self._regular = stat.S_ISREG(status.st_mode)  # never rotate /dev/stdout and the like
        if self._regular and self._size and not _ends_a_line(self.baseFilename):
            stream.write("\n")  # end the line a failed write (or a killed process) left
            self._size += 1
        return stream

    def write_lines(self, lines: list[Line]) -> None:
        try:
            self._write_lines([text for _, text in lines])
        except BaseException:
            self._drop_stream()
            raise

    def _write_lines(self, lines: list[str]) -> None:
        if self.stream is None:
            self.stream = self._open()
        rotates = self.maxBytes > 0 and self._regular
        chunk: list[str] = []
        for line in lines:
            size = len(line.encode("utf-8", "surrogatepass")) + 1
            if rotates and self._size > 0 and self._size + size >= self.maxBytes:
                self._write_chunk(chunk)
                chunk = []
                self.doRollover()
                self.stream = self._open()  # the next file, which starts at 0 bytes
            chunk.append(line)
            self._size += size
        self._write_chunk(chunk)

    def _write_chunk(self, chunk: list[str]) -> None:
        if chunk:
            self.stream.write("\n".join(chunk) + "\n")
            self.stream.flush()

    def doRollover(self) -> None:
        """What RotatingFileHandler does (`.1` → `.2` and so on, the file → `.1`), but
        it renames the backups that exist, found in one listing, instead of asking for
        every number up to backupCount: with many backups kept, that took 0.3 s a rotation."""
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        base = Path(self.baseFilename)
        prefix = base.name + "."
        numbers = []
        for name in os.listdir(base.parent):
            number = name.removeprefix(prefix)
            if number != name and number.isdigit():
                numbers.append(int(number))
        for number in sorted(numbers, reverse=True):
            if 1 <= number < self.backupCount:
                os.replace(f"{base}.{number}", f"{base}.{number + 1}")
        if base.exists():
            os.replace(base, f"{base}.1")

    def _drop_stream(self) -> None:
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(Exception):  # what it could not write it cannot flush
                stream.close()

    def flush(self) -> None:
        pass  # every burst is flushed as it is written

    def close(self) -> None:
        # logging.shutdown closes every handler at exit; one whose thread is stuck in a
        # write holds the stream's lock, and closing it would hang the exit.
        if not self.abandoned:
            with contextlib.suppress(OSError, ValueError):
                super().close()


def _ends_a_line(path: str) -> bool:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def _syslog_severity(level: int) -> int:
    """RFC 5424 severity, as logging's SysLogHandler maps the level names."""
    for floor, severity in ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4)):
        if level >= floor:
            return severity
    return 6 if level >= logging.INFO else 7


class SyslogSink:
    """What logging's SysLogHandler sends (`<priority>sentimon: line`, NUL-ended, facility
    user), on a socket that never blocks the writer: a line that cannot go is lost.

    SysLogHandler blocks once a unix datagram socket's reader stops reading, and retries
    a failed send on a new, blocking, socket; hence this sink.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self.unix_path: str | None = None
        self._udp_target = None
        if address.startswith("udp://"):
            parts = urlsplit(address)
            if not parts.hostname or not parts.port:
                raise ValueError(f"syslog address {address!r} must look like udp://host:port")
            # Resolved once; OSError for a host that does not resolve.
            family, _, _, _, target = socket.getaddrinfo(
                parts.hostname, parts.port, 0, socket.SOCK_DGRAM
            )[0]
            self._udp_target = (family, target)
        else:
            self.unix_path = address
        self._socket: socket.socket | None = None
        self._stream = False

    def _connect(self) -> socket.socket:
        if self._udp_target is not None:
            sock = socket.socket(self._udp_target[0], socket.SOCK_DGRAM)
            sock.setblocking(False)
            return sock
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        try:
            sock.connect(self.unix_path)
            self._stream = False
            return sock
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EPROTOTYPE:
                raise
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a stream /dev/log
        sock.settimeout(SYSLOG_SEND_TIMEOUT_SECONDS)
        try:
            sock.connect(self.unix_path)
        except OSError:
            sock.close()
            raise
        self._stream = True
        return sock

    def write_lines(self, lines: list[Line]) -> None:
        lost, error = 0, ""
        broken = False  # no second connection, nor a send on a broken one, in one burst
        for level, text in lines:
            data = b"<%d>sentimon: %s\0" % (
                8 + _syslog_severity(level),  # facility user (1) times 8
                text.encode("utf-8", "backslashreplace"),
            )
            try:
                if broken:
                    raise ConnectionError("not connected")
                if self._socket is None:
                    self._socket = self._connect()
                if self._udp_target is not None:
                    self._socket.sendto(data, self._udp_target[1])
                elif self._stream:
                    self._socket.sendall(data)
                else:
                    self._socket.send(data)
            except BlockingIOError as exc:  # the reader is behind: this datagram is lost
                lost += 1
                error = error or repr(exc)
            except OSError as exc:  # gone, refused, or a stream send timed out: reconnect later
                lost += 1
                error = error or repr(exc)
                broken = True
                self.close()
        if lost:
            raise LinesLost(lost, error)

    def close(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()

import json
import logging
import logging.handlers
import socket
import sys
import threading
import time
import tracemalloc
from collections import Counter

import pytest

from sentimon.observability.context import request_id_var
from sentimon.observability.logging import JsonLineFormatter, PendingLine, configure_logging


class _Streams:
    """What the sinks wrote to stdout and stderr (they bind the streams of the test body)."""

    def __init__(self, capsys):
        self.capsys = capsys
        self.out = self.err = ""

    def read(self):
        captured = self.capsys.readouterr()
        self.out += captured.out
        self.err += captured.err
        return self


class _Counts:
    """A LogObserver that keeps what it is told, as ServiceMetrics.logs would count it."""

    def __init__(self):
        self.started = None
        self.lines = []
        self.dropped = Counter()
        self.failures = Counter()

    def start(self, sinks, reasons):
        self.started = (sorted(sinks), sorted(reasons))

    def count_line(self, level):
        self.lines.append(level)

    def count_dropped(self, reason, lines):
        self.dropped[reason] += lines

    def count_sink_failures(self, sink, lines):
        self.failures[sink] += lines


@pytest.fixture
def streams(capsys):
    return _Streams(capsys)


@pytest.fixture
def configure():
    setups = []
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)

    def start(**kwargs):
        setups.append(configure_logging(**kwargs))
        return setups[-1]

    yield start
    for setup in setups:
        setup.stop()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_sinks_take_their_levels_and_every_line_is_json(configure, streams, tmp_path):
    counted = _Counts()
    setup = configure(level="DEBUG", log_dir=tmp_path, observer=counted)
    log = logging.getLogger("sentimon.test")
    log.debug("debug line")
    log.info("info line", extra={"status": 200})
    log.warning("warning line")
    setup.stop()
    out, err = streams.read().out, streams.err
    assert [r["message"] for r in _lines(out)] == ["info line", "warning line"]
    assert [r["message"] for r in _lines(err)] == ["warning line"]
    in_file = _lines((tmp_path / "sentimon.log").read_text())
    assert [r["message"] for r in in_file] == ["debug line", "info line", "warning line"]
    record = in_file[1]
    assert record["level"] == "INFO" and record["logger"] == "sentimon.test"
    assert record["status"] == 200 and record["ts"].endswith("Z")
    assert counted.lines == ["DEBUG", "INFO", "WARNING"]
    assert counted.started == (["file", "stderr", "stdout"], ["queue_full", "unformattable"])
    assert not counted.failures and not counted.dropped


def test_a_line_writer_writes_what_the_logger_would(configure, streams, tmp_path):
    counted = _Counts()
    setup = configure(level="INFO", log_dir=tmp_path, observer=counted)
    log = logging.getLogger("sentimon.access")
    write = setup.line_writer(log)
    fields = {"method": "POST", "status": 200, "text": "caf\u00e9 \ud800", "confidence": 0.97}
    token = request_id_var.set("req-7")
    try:
        log.info("POST /predict 200", extra=fields)
        write(logging.INFO, "POST /predict 200", fields)
        write(logging.DEBUG, "GET /healthz 200", {})  # under the level: not written
        write(logging.WARNING, "POST /predict 500", {"status": 500})
    finally:
        request_id_var.reset(token)
    setup.stop()
    by_logger, by_writer, warning = _lines((tmp_path / "sentimon.log").read_text())
    by_logger.pop("ts"), by_writer.pop("ts")
    assert list(by_writer.items()) == list(by_logger.items())  # same fields, same order
    assert by_writer["request_id"] == "req-7" and by_writer["text"] == "caf\u00e9 \\ud800"
    assert [r["message"] for r in _lines(streams.read().err)] == [warning["message"]]
    assert counted.lines == ["INFO", "INFO", "WARNING"]


def test_request_id_and_traceback_are_in_the_line(configure, streams):
    setup = configure(level="INFO")
    token = request_id_var.set("req-42")
    try:
        raise ValueError("kaboom")
    except ValueError:
        logging.getLogger("x").exception("failed")
    finally:
        request_id_var.reset(token)
    setup.stop()
    (line,) = _lines(streams.read().err)
    assert line["request_id"] == "req-42"
    assert "Traceback (most recent call last)" in line["exception"]
    assert "ValueError: kaboom" in line["exception"]


@pytest.mark.parametrize(
    "text", ["lone \ud800 surrogate", "nul \x00 bell \x07", "rtl \u202e مرحبا", "😀"]
)
def test_awkward_text_never_breaks_a_line(configure, streams, text):
    setup = configure(level="INFO")
    logging.getLogger("x").info("got %s", text, extra={"text": text})
    setup.stop()
    (line,) = _lines(streams.read().out)
    assert line["text"]
    assert "\n" not in streams.read().out.rstrip("\n")


def test_unreachable_unix_syslog_is_reported_and_logging_goes_on(configure, streams, tmp_path):
    setup = configure(level="INFO", syslog_address=str(tmp_path / "no-such-socket"))
    logging.getLogger("x").info("still here")
    setup.stop()
    messages = [r["message"] for r in _lines(streams.read().out)]
    assert any("no-such-socket is not there" in m for m in messages)
    assert "still here" in messages


def test_bad_syslog_url_is_refused(configure):
    with pytest.raises(ValueError, match="udp://host:port"):
        configure(syslog_address="udp://nohost")


def _notices(err: str, sink: str) -> list[str]:
    """The logging's own lines about `sink` on stderr: one per outage, one per recovery."""
    return [r["message"] for r in _lines(err) if r.get("sink") == sink]


def test_a_full_disk_is_counted_reported_once_and_its_recovery_too(configure, streams, tmp_path):
    (tmp_path / "sentimon.log").symlink_to("/dev/full")  # every write: ENOSPC
    setup = configure(level="INFO", log_dir=tmp_path)
    setup.health.quiet_seconds = 0.2
    log = logging.getLogger("x")
    for i in range(3):
        log.info("lost %d", i)
        assert setup.flush()
    assert setup.health.failures == {"file": 3}
    counted = _Counts()
    setup.count_with(counted)  # what was lost before is counted too
    assert counted.failures == {"file": 3}
    (outage,) = _notices(streams.read().err, "file")
    assert "log sink file is failing" in outage and "No space left on device" in outage

    (tmp_path / "sentimon.log").unlink()  # the disk has room again
    time.sleep(0.3)
    log.info("kept")
    log.info("kept too")
    setup.stop()
    in_file = [r["message"] for r in _lines((tmp_path / "sentimon.log").read_text())]
    assert in_file == ["kept", "kept too"]
    outage, recovery = _notices(streams.read().err, "file")
    assert recovery == "log sink file works again: 3 lines lost in " + recovery.split(" in ")[1]
    assert counted.failures == {"file": 3}
    assert [r["message"] for r in _lines(streams.out)] == [
        "lost 0", "lost 1", "lost 2", "kept", "kept too",
    ]  # fmt: skip


def test_a_syslog_socket_nobody_reads_holds_up_no_other_sink(configure, streams, tmp_path):
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as syslog:
        syslog.bind(str(path))  # and never read: its queue fills after a few hundred lines
        setup = configure(level="INFO", log_dir=tmp_path, syslog_address=str(path))
        log = logging.getLogger("x")
        for i in range(2000):
            log.warning("warning %d", i)
        started = time.monotonic()
        assert setup.stop(timeout=2)
        assert time.monotonic() - started < 1
    expected = [f"warning {i}" for i in range(2000)]
    assert [r["message"] for r in _lines(streams.read().out)] == expected
    in_file = [r["message"] for r in _lines((tmp_path / "sentimon.log").read_text())]
    assert in_file == expected
    assert 0 < setup.health.failures["syslog"] < 2000
    assert set(setup.health.failures) == {"syslog"}
    (outage,) = _notices(streams.err, "syslog")
    assert "log sink syslog is failing" in outage and "BlockingIOError" in outage


def test_syslog_gets_what_sysloghandler_sent(configure, streams, tmp_path):
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as syslog:
        syslog.bind(str(path))
        setup = configure(level="INFO", syslog_address=str(path))
        log = logging.getLogger("x")
        log.info("not for syslog")
        log.warning("careful")
        log.error("broken")
        setup.stop()
        syslog.settimeout(1)
        received = [syslog.recv(65536), syslog.recv(65536)]
    # Facility user and the priorities logging's SysLogHandler gives these levels.
    handler = logging.handlers.SysLogHandler
    expected = [("warning", "careful"), ("error", "broken")]
    for datagram, (priority, message) in zip(received, expected, strict=True):
        head = f"<{handler.LOG_USER << 3 | handler.priority_names[priority]}>sentimon: ".encode()
        assert datagram.startswith(head) and datagram.endswith(b"\0")
        assert json.loads(datagram[len(head) : -1])["message"] == message


def test_a_stream_syslog_nobody_reads_holds_up_no_other_sink(configure, streams, tmp_path):
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as syslog:
        syslog.bind(str(path))
        syslog.listen(1)  # connections are taken, never read
        setup = configure(level="INFO", syslog_address=str(path))
        log = logging.getLogger("x")
        for i in range(2000):
            log.warning("warning %d %s", i, "x" * 200)
        started = time.monotonic()
        assert setup.stop()
        assert time.monotonic() - started < 2  # a send waits 0.1 s at most, once a burst
    assert len(_lines(streams.read().out)) == 2000
    assert 0 < setup.health.failures["syslog"] < 2000
    assert set(setup.health.failures) == {"syslog"}


class _StuckStream:
    """A stdout nobody reads (a full pipe): every write blocks until `release` is set."""

    def __init__(self):
        self.release = threading.Event()
        self.entered = threading.Event()

    def write(self, text):
        self.entered.set()
        self.release.wait()

    def flush(self):
        pass


def test_a_stuck_sink_holds_up_no_other_and_its_backlog_stays_bounded(
    configure, streams, tmp_path, monkeypatch
):
    stuck = _StuckStream()
    monkeypatch.setattr(sys, "stdout", stuck)
    setup = configure(level="INFO", log_dir=tmp_path)
    setup.writers["stdout"].max_lines = 100
    try:
        log = logging.getLogger("x")
        log.info("first")
        assert stuck.entered.wait(5)
        for i in range(1000):
            log.info("line %d", i)
        started = time.monotonic()
        assert not setup.stop(timeout=0.5)  # stdout never took its lines
        assert time.monotonic() - started < 1
    finally:
        stuck.release.set()
    in_file = [r["message"] for r in _lines((tmp_path / "sentimon.log").read_text())]
    assert in_file == ["first"] + [f"line {i}" for i in range(1000)]
    # The line being written and 99 waiting; the other 901 counted as stdout's failures.
    assert setup.writers["stdout"].queued <= 100
    assert setup.health.failures == {"stdout": 901}
    (outage,) = _notices(streams.read().err, "stdout")
    assert "100 lines wait for it already" in outage


def test_a_queue_that_fills_drops_new_lines_counts_them_and_stays_bounded(configure, streams):
    counted = _Counts()
    setup = configure(level="INFO", observer=counted, queue_lines=1000)
    formatter = setup.dispatcher.formatter
    line, stuck, release = formatter.line, threading.Event(), threading.Event()

    def stuck_line(level, pending):  # the writer thread stalls on the first line
        stuck.set()
        release.wait()
        return line(level, pending)

    formatter.line = stuck_line
    write = setup.line_writer(logging.getLogger("sentimon.access"))
    try:
        write(logging.INFO, "first", {})
        assert stuck.wait(5)
        formatter.line = line
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(50_000):
            write(logging.INFO, "flood", {"n": i, "path": "/predict", "status": 200})
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert setup.front.queue.qsize() == 1000
        assert grown < 2_000_000  # 1,000 lines kept; all 50,000 would take about 20 MB
        assert counted.dropped == {"queue_full": 49_000}
        for i in range(200):  # warnings and errors may use a tenth more
            write(logging.WARNING, "urgent", {"n": i})
        assert setup.front.queue.qsize() == 1100
        assert counted.dropped == {"queue_full": 49_100}
    finally:
        release.set()
    setup.stop()
    # Every line logged is counted by level, dropped or not; the drop notice is the ERROR.
    assert Counter(counted.lines) == {"INFO": 50_001, "WARNING": 200, "ERROR": 1}
    out = [r["message"] for r in _lines(streams.read().out)]
    assert out == ["first"] + ["flood"] * 1000 + ["urgent"] * 100
    dropped = [r["message"] for r in _lines(streams.err) if "dropped" in r["message"]]
    assert dropped == ["log lines dropped (queue_full), counted in "
                       "log_messages_dropped_total: 1000 lines wait to be written"]  # fmt: skip


def test_a_line_left_half_written_is_ended_before_the_next(configure, tmp_path):
    (tmp_path / "sentimon.log").write_text('{"ts":"2026-')  # a full disk, or a kill -9
    setup = configure(level="INFO", log_dir=tmp_path)
    logging.getLogger("x").info("next")
    setup.stop()
    half, line = (tmp_path / "sentimon.log").read_text().splitlines()
    assert half == '{"ts":"2026-' and json.loads(line)["message"] == "next"


@pytest.mark.parametrize("backups", [3, 100_000])
def test_rotation_keeps_the_newest_backups_in_order(configure, tmp_path, backups):
    setup = configure(level="INFO", log_dir=tmp_path, max_bytes=4096, backups=backups)
    log = logging.getLogger("x")
    for i in range(300):  # in a few bursts
        log.info("line %03d", i)
        if i % 100 == 99:
            assert setup.flush()
    setup.stop()
    files = sorted(tmp_path.glob("sentimon.log.*"), key=lambda p: -int(p.suffix[1:]))
    assert len(files) == 3 if backups == 3 else len(files) >= 5  # 24 kB in 4 kB files
    messages = [
        r["message"]
        for path in [*files, tmp_path / "sentimon.log"]
        for r in _lines(path.read_text())
    ]
    first = int(messages[0].split()[1])
    assert messages == [f"line {i:03d}" for i in range(first, 300)]  # newest kept, in order
    assert first == 0 if backups > 3 else first > 0


def test_one_file_per_process_when_asked(configure, tmp_path):
    import os

    setup = configure(level="INFO", log_dir=tmp_path, per_process_file=True)
    assert setup.file_path == tmp_path / f"sentimon-{os.getpid()}.log"


def test_a_line_that_cannot_be_formatted_is_counted_and_the_burst_goes_on(configure, streams):
    setup = configure(level="INFO")
    formatter = setup.dispatcher.formatter
    line = formatter.line

    def failing_line(level, pending):  # python-json-logger encodes nearly anything: force it
        if pending.message == "broken":
            raise ValueError("cannot format")
        return line(level, pending)

    formatter.line = failing_line
    write = setup.line_writer(logging.getLogger("sentimon.access"))
    write(logging.INFO, "first", {"n": 1})
    write(logging.INFO, "broken", {"n": 2})
    write(logging.INFO, "last", {"n": 3})
    setup.stop()
    assert [r["message"] for r in _lines(streams.read().out)] == ["first", "last"]
    assert setup.health.dropped == {"unformattable": 1}
    assert streams.err.count("log lines dropped (unformattable)") == 1


def test_each_line_carries_its_own_second_when_seconds_interleave():
    formatter = JsonLineFormatter()
    # The writer thread formats queued lines from the second before while the event loop
    # formats this second's: the cached second must never lend one line another's.
    for created in (1_700_000_000.25, 1_700_000_001.5, 1_700_000_000.75):
        line = json.loads(
            formatter.line(logging.INFO, PendingLine(created, "x", "m", None, None, {}))
        )
        whole, millis = divmod(round(created * 1000), 1000)
        expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"
        assert line["ts"] == expected


def _log_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sentimon-log")]


def test_configuring_again_ends_the_setup_it_replaces(configure, streams, tmp_path):
    """create_app in the same process twice (in-process tests) leaves one set of threads."""
    before = len(_log_threads())
    first = configure(log_dir=tmp_path)
    started = len(_log_threads()) - before  # the dispatcher and a thread per sink
    logging.getLogger("t").warning("to the first")
    second = configure(log_dir=tmp_path)
    assert not first.dispatcher.running and second.dispatcher.running
    assert len(_log_threads()) - before == started
    logging.getLogger("t").warning("to the second")
    second.flush()
    assert [line["message"] for line in _lines(streams.read().err)] == [
        "to the first",
        "to the second",
    ]


@pytest.mark.parametrize("kind", ["directory", "file"])
def test_a_syslog_path_that_is_no_socket_turns_the_sink_off_with_one_warning(
    configure, streams, tmp_path, kind
):
    # What podman leaves at a missing /dev/log bind source: an empty directory.
    path = tmp_path / "log"
    path.mkdir() if kind == "directory" else path.write_text("")
    setup = configure(level="INFO", syslog_address=str(path))
    for _ in range(50):
        logging.getLogger("x").warning("still here")
    setup.stop()
    lines = _lines(streams.read().out)
    warnings = [r["message"] for r in lines if "syslog" in r["message"]]
    assert len(warnings) == 1 and "syslog sink is off" in warnings[0], warnings
    assert "a directory" in warnings[0] if kind == "directory" else "not a socket" in warnings[0]
    assert sum(r["message"] == "still here" for r in lines) == 50
    assert "syslog" not in setup.health.failures

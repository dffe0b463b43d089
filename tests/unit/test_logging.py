import json
import logging
import time

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
    counted = []
    setup = configure(level="DEBUG", log_dir=tmp_path, on_record=counted.append)
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
    assert counted == ["DEBUG", "INFO", "WARNING"]


def test_a_line_writer_writes_what_the_logger_would(configure, streams, tmp_path):
    counted = []
    setup = configure(level="INFO", log_dir=tmp_path, on_record=counted.append)
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
    assert counted == ["INFO", "INFO", "WARNING"]


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


def test_a_failing_file_sink_is_reported_once_and_others_go_on(configure, streams, tmp_path):
    setup = configure(level="INFO", log_dir=tmp_path)
    file_handler = setup.handlers[2]
    file_handler.stream.close()  # writes now fail, as on a full or vanished disk
    log = logging.getLogger("x")
    log.info("one")
    log.info("two")
    setup.stop()
    assert setup.failures.counts == {"file": 2}
    assert streams.read().err.count("log sink file failed") == 1
    assert [r["message"] for r in _lines(streams.read().out)] == ["one", "two"]


def test_one_file_per_process_when_asked(configure, tmp_path):
    import os

    setup = configure(level="INFO", log_dir=tmp_path, per_process_file=True)
    assert setup.file_path == tmp_path / f"sentimon-{os.getpid()}.log"


def test_a_line_that_cannot_be_formatted_is_counted_and_the_burst_goes_on(configure, streams):
    setup = configure(level="INFO")
    formatter = setup.listener.formatter
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
    assert setup.failures.counts == {"format": 1}
    assert streams.err.count("log sink format failed") == 1


def test_each_line_carries_its_own_second_when_seconds_interleave():
    formatter = JsonLineFormatter()
    # The writer thread formats queued lines from the second before while the event loop
    # formats this second's: the cached second must never lend one line another's.
    for created in (1_700_000_000.25, 1_700_000_001.5, 1_700_000_000.75):
        line = json.loads(formatter.line(logging.INFO, PendingLine(created, "x", "m", None, {})))
        whole, millis = divmod(round(created * 1000), 1000)
        expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"
        assert line["ts"] == expected

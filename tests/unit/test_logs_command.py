"""`sentimon logs`: reading the service's log files, filtering, printing, and asking Loki."""

from __future__ import annotations

import functools
import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sentimon.cli import app
from sentimon.logs import command
from sentimon.logs.filters import LogFilter, parse_level, parse_since
from sentimon.logs.follow import FileTail, Follower
from sentimon.logs.loki import QUERY_RANGE_PATH, LokiError, logql, query_range
from sentimon.logs.reader import ReadStats, find_log_files, parse_line, read_groups
from sentimon.observability.context import request_id_var
from sentimon.observability.log_sinks import RotatingFileSink
from sentimon.observability.logging import JsonLineFormatter

runner = CliRunner()
_FORMATTER = JsonLineFormatter()
T0 = datetime(2026, 12, 7, 17, 0, 0, tzinfo=UTC)


def _line(
    seconds: float,
    message: str,
    *,
    level: int = logging.INFO,
    request_id: str | None = None,
    name: str = "sentimon.access",
    start: datetime = T0,
    **fields,
) -> str:
    """A line as the service's formatter writes it, `seconds` after T0."""
    record = logging.LogRecord(name, level, __file__, 0, message, None, None)
    record.created = (start + timedelta(seconds=seconds)).timestamp()
    record.msecs = (record.created - int(record.created)) * 1000
    record.__dict__.update(fields)
    token = request_id_var.set(request_id)
    try:
        return _FORMATTER.format(record)
    finally:
        request_id_var.reset(token)


def _access(
    seconds: float, request_id: str, path: str = "/predict", status: int = 200, **fields
) -> str:
    level = logging.WARNING if status >= 500 else logging.INFO
    return _line(
        seconds,
        f"POST {path} {status}",
        level=level,
        request_id=request_id,
        method="POST",
        path=path,
        status=status,
        duration_ms=0.912,
        **fields,
    )


def _write(path: Path, *lines: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as file:
        for line in lines:
            file.write(line if isinstance(line, bytes) else line.encode() + b"\n")


def _logs(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["logs", *args], env=env)


@pytest.fixture
def log_dir(tmp_path) -> Path:
    """A log directory written by the service's own file sink: rotated twice, and a
    worker's file beside it, whose lines fall between the others'."""
    directory = tmp_path / "logs"
    sink = RotatingFileSink(directory / "sentimon.log", max_bytes=1500, backups=5)
    lines = [_access(i, f"req-{i}") for i in range(0, 40, 2)]
    error = _line(
        9,
        "unhandled error in POST /predict",
        level=logging.ERROR,
        request_id="req-8",
        name="sentimon.api.middleware",
        exception="Traceback ...\nInjectedFault: boom",
    )
    lines.insert(5, error)
    sink.write_lines([(logging.INFO, line) for line in lines])
    sink.close()
    _write(directory / "sentimon-4242.log", *(_access(i, f"req-{i}") for i in range(1, 40, 2)))
    return directory


# ---- reading the files ---------------------------------------------------------------


def test_rotated_files_come_oldest_first_by_number_not_by_name(tmp_path):
    names = ["sentimon.log", "sentimon.log.1", "sentimon.log.2", "sentimon.log.10"]
    names += ["sentimon-7.log.1", "sentimon-7.log", "sentimon.stdout.log", "other.log"]
    for name in names:
        (tmp_path / name).write_text("")
    groups = find_log_files(tmp_path)
    assert [[p.name for p in group.paths()] for group in groups] == [
        ["sentimon-7.log.1", "sentimon-7.log"],
        ["sentimon.log.10", "sentimon.log.2", "sentimon.log.1", "sentimon.log"],
    ]


def test_lines_of_every_file_merge_in_time_order(log_dir):
    assert (log_dir / "sentimon.log.2").exists(), "the fixture should have rotated twice"
    stats = ReadStats()
    lines = list(read_groups(find_log_files(log_dir), stats))
    assert [line.ts for line in lines] == sorted(line.ts for line in lines)
    assert [
        line.record.get("request_id")
        for line in lines
        if line.record["logger"] == "sentimon.access"
    ] == [f"req-{i}" for i in range(40)]
    assert stats.files == len(list(log_dir.iterdir())) and stats.lines == 41 and stats.skipped == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"not json at all",
        b"[1, 2, 3]",
        b'"a string"',
        b"42",
        b'{"level": "INFO", "message": "no ts"}',
        b'{"ts": "yesterday", "message": "a ts that is not a time"}',
        b"\xff\xfe\x00\x01\x9c binary",
        b'{"ts": "2026-12-07T17:00:00.000Z", "message": "cut sho',
    ],
)
def test_a_line_that_is_not_sentimon_json_is_refused(raw):
    assert parse_line(raw) is None


def test_malformed_lines_are_skipped_counted_and_reported(log_dir):
    _write(log_dir / "sentimon.log", b"garbage\n", b"\x00\xff\xfe\n", b"[]\n", b"\n")
    result = _logs(str(log_dir), "--request-id", "req-38")
    assert result.exit_code == 0, result.output
    assert "req-38" in result.stdout
    assert "skipped 3 lines that are not sentimon JSON" in result.stderr


# ---- filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "number"),
    [("debug", 10), ("INFO", 20), ("warn", 30), ("Warning", 30), ("WARN", 30), ("err", 40),
     ("error", 40), ("ERROR", 40), ("crit", 50), ("Critical", 50)],
)  # fmt: skip
def test_levels_are_one_vocabulary_in_any_case(word, number):
    assert parse_level(word) == number


def test_an_unknown_level_is_refused_with_the_words_that_work(log_dir):
    result = _logs(str(log_dir), "--level", "loud")
    assert result.exit_code == 2
    assert "warn or warning" in result.output, result.output


@pytest.mark.parametrize("word", ["warn", "WARNING", "Warning"])
def test_level_keeps_that_level_and_above(log_dir, word):
    _write(log_dir / "sentimon.log", _access(50, "boom-1", status=500))
    result = _logs(str(log_dir), "--level", word, "--json")
    assert result.exit_code == 0, result.output
    levels = [json.loads(line)["level"] for line in result.stdout.splitlines()]
    assert levels == ["ERROR", "WARNING"]


def test_since_takes_a_duration_or_an_iso_time():
    now = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    assert parse_since("15m", now) == now - timedelta(minutes=15)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("1h30m", now) == now - timedelta(minutes=90)
    assert parse_since("30s", now) == now - timedelta(seconds=30)
    assert parse_since("2026-12-07T17:02:28.486Z", now) == datetime(
        2026, 12, 7, 17, 2, 28, 486000, tzinfo=UTC
    )
    assert parse_since("2026-12-07T17:02", now) == datetime(2026, 12, 7, 17, 2, tzinfo=UTC)
    assert parse_since("2026-12-07T18:02+01:00", now) == datetime(2026, 12, 7, 17, 2, tzinfo=UTC)
    for wrong in ("", "15", "m", "soon", "15 minutes"):
        with pytest.raises(ValueError, match="neither a duration"):
            parse_since(wrong, now)


def test_since_keeps_lines_from_that_time_on(log_dir):
    result = _logs(str(log_dir), "--since", "2026-12-07T17:00:35Z", "--json")
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["request_id"] for line in result.stdout.splitlines()]
    assert ids == [f"req-{i}" for i in range(35, 40)]


def test_since_as_a_duration_counts_back_from_now(tmp_path):
    now = datetime.now(UTC)
    old = _line(0, "an hour ago").replace(_iso(T0), _iso(now - timedelta(hours=1)))
    new = _line(0, "a minute ago").replace(_iso(T0), _iso(now - timedelta(minutes=1)))
    _write(tmp_path / "sentimon.log", old, new)
    result = _logs(str(tmp_path), "--since", "15m")
    assert result.exit_code == 0, result.output
    assert "a minute ago" in result.stdout and "an hour ago" not in result.stdout


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_route_and_trace_id_match_their_fields(tmp_path):
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    _write(
        tmp_path / "sentimon.log",
        _access(1, "a", path="/predict", trace_id=trace),
        _access(2, "b", path="/predict/batch"),
        _access(3, "c", path="/predict"),
    )
    routed = _logs(str(tmp_path), "--route", "/predict", "--json")
    assert [json.loads(x)["request_id"] for x in routed.stdout.splitlines()] == ["a", "c"]
    traced = _logs(str(tmp_path), "--trace-id", trace.upper(), "--json")
    assert [json.loads(x)["request_id"] for x in traced.stdout.splitlines()] == ["a"]


def test_every_filter_must_hold():
    line = parse_line(_access(1, "a", status=500).encode())
    assert LogFilter(request_id="a", min_level=30, route="/predict").matches(line)
    assert not LogFilter(request_id="a", min_level=40).matches(line)
    assert not LogFilter(request_id="a", since=T0 + timedelta(seconds=2)).matches(line)


# ---- output and exit status ----------------------------------------------------------


def test_a_request_id_shows_its_lines_readably(log_dir):
    result = _logs(str(log_dir), "--request-id", "req-8")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        "2026-12-07T17:00:08.000Z  INFO     req-8  POST /predict 200  (0.912 ms)"
    )
    assert lines[1].startswith(
        "2026-12-07T17:00:09.000Z  ERROR    req-8  unhandled error in POST /predict"
    )
    assert "InjectedFault: boom" in lines[1]


def test_json_prints_the_lines_exactly_as_written(log_dir):
    written = {
        line
        for path in log_dir.iterdir()
        for line in path.read_text().splitlines()
        if '"req-8"' in line
    }
    result = _logs(str(log_dir), "--request-id", "req-8", "--json")
    assert result.exit_code == 0, result.output
    assert set(result.stdout.splitlines()) == written and len(written) == 2


def test_control_characters_from_a_client_do_not_reach_the_terminal(tmp_path):
    _write(tmp_path / "sentimon.log", _access(1, "x", path="/\x1b[2Jgone"))
    result = _logs(str(tmp_path))
    assert "\x1b[2J" not in result.stdout and "\\x1b[2Jgone" in result.stdout


def test_nothing_matching_says_so_and_exits_1(log_dir):
    result = _logs(str(log_dir), "--request-id", "no-such-request")
    assert result.exit_code == 1
    files = len(list(log_dir.iterdir()))
    assert result.stdout == ""
    assert (
        f"no log line with request id no-such-request in {log_dir} ({files} files, 41 lines read)"
        in result.stderr
    )


def test_several_filters_are_named_in_the_sentence(log_dir):
    result = _logs(
        str(log_dir), "--request-id", "req-2", "--level", "err", "--since", "2026-12-07T17:00:00Z"
    )
    assert result.exit_code == 1
    assert (
        "no log line with request id req-2, level ERROR or above since 2026-12-07T17:00:00.000Z"
        in result.stderr
    )


def test_a_missing_directory_exits_2_and_says_which(tmp_path):
    missing = tmp_path / "nowhere"
    for args in ([str(missing)], ["--log-dir", str(missing)]):
        result = _logs(*args)
        assert result.exit_code == 2
        assert str(missing) in result.stderr


# ---- where it reads by default -------------------------------------------------------


def test_the_default_is_sentimon_log_dir_then_the_stack_then_logs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"SENTIMON_LOG_DIR": None, "SENTIMON_STACK_STATE_DIR": None}
    result = _logs(env=env)
    assert result.exit_code == 2 and "--log-dir" in result.stderr
    _write(tmp_path / "logs" / "sentimon.log", _access(1, "from-serve"))
    assert "from-serve" in _logs(env=env).stdout
    _write(tmp_path / ".sentimon" / "logs" / "sentimon" / "sentimon.log", _access(1, "from-stack"))
    assert "from-stack" in _logs(env=env).stdout
    _write(tmp_path / "elsewhere" / "sentimon.log", _access(1, "from-env"))
    assert "from-env" in _logs(env={"SENTIMON_LOG_DIR": str(tmp_path / "elsewhere")}).stdout
    _write(tmp_path / "state" / "logs" / "sentimon" / "sentimon.log", _access(1, "from-state"))
    assert "from-state" in _logs(env={**env, "SENTIMON_STACK_STATE_DIR": "state"}).stdout


def test_a_file_argument_reads_that_file_whatever_its_name(tmp_path):
    _write(tmp_path / "copied.txt", _access(1, "copied"))
    result = _logs(str(tmp_path / "copied.txt"), "--request-id", "copied")
    assert result.exit_code == 0 and "copied" in result.stdout


# ---- --follow ------------------------------------------------------------------------


def test_a_tail_reads_on_across_a_rotation(tmp_path):
    path = tmp_path / "sentimon.log"
    _write(path, _line(1, "one"))
    tail = FileTail(path, ReadStats())
    assert [parse_line(raw).record["message"] for raw in tail.read()] == ["one"]
    _write(path, b'{"ts": "2026-12-07T17:00:02.000Z", "message": "half')  # not finished yet
    assert tail.read() == []
    _write(path, b' a line"}\n', _line(3, "last in the old file"))
    os.replace(path, tmp_path / "sentimon.log.1")
    assert [parse_line(raw).record["message"] for raw in tail.read()] == [
        "half a line",
        "last in the old file",
    ]
    _write(path, _line(4, "first in the new file"))
    assert [parse_line(raw).record["message"] for raw in tail.read()] == ["first in the new file"]
    tail.close()


def test_the_follower_picks_up_new_worker_files_and_rotations(log_dir):
    stats = ReadStats()
    follower = Follower([log_dir], [], stats)
    assert len(list(follower.history())) == 41
    assert follower.poll() == []
    os.replace(log_dir / "sentimon.log.1", log_dir / "sentimon.log.2")
    os.replace(log_dir / "sentimon.log", log_dir / "sentimon.log.1")
    _write(log_dir / "sentimon.log", _access(60, "after-rotation"))
    _write(log_dir / "sentimon-999.log", _access(59, "new-worker"))
    assert [line.record["request_id"] for line in follower.poll()] == [
        "new-worker",
        "after-rotation",
    ]
    follower.close()


def test_follow_prints_the_history_and_exits_0_on_ctrl_c(log_dir, monkeypatch):
    polls = []

    def forever(self, interval=0):
        polls.append(self)
        _write(log_dir / "sentimon.log", _access(70, "req-8"))
        yield self.poll()
        raise KeyboardInterrupt

    monkeypatch.setattr(Follower, "forever", forever)
    result = _logs(str(log_dir), "--request-id", "req-8", "--follow", "--json")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 3 and polls


# ---- Loki ----------------------------------------------------------------------------


def test_the_logql_query_follows_the_collectors_labels():
    assert logql(LogFilter()) == '{job="sentimon", stream="stdout"}'
    assert (
        logql(LogFilter(request_id="abc-1"))
        == '{job="sentimon", stream="stdout"} | request_id="abc-1"'
    )
    assert logql(LogFilter(min_level=30, route="/predict", trace_id="ABC")) == (
        '{job="sentimon", stream="stdout", level=~"(?i)WARNING|ERROR|CRITICAL"}'
        ' | json | trace_id="abc" | path="/predict"'
    )
    assert logql(LogFilter(min_level=10)) == '{job="sentimon", stream="stdout"}'
    assert logql(LogFilter(route='/a"b\\')).endswith(r'| path="/a\"b\\"')


def _stream(labels: dict, *values: tuple[datetime, str]) -> dict:
    ns = [
        (str(int(when.timestamp()) * 10**9 + when.microsecond * 1000), line)
        for when, line in values
    ]
    return {"stream": labels, "values": ns}


class FakeLoki:
    """Loki's query_range, as its HTTP API reference documents the answer: streams, each
    with its labels and [nanosecond epoch string, line] pairs, newest first (backward)."""

    def __init__(self, streams: list[dict], status: int = 200) -> None:
        self.streams = streams
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status, text="parse error at line 1, col 5: syntax error")
        body = {
            "status": "success",
            "data": {"resultType": "streams", "result": self.streams, "stats": {}},
        }
        return httpx.Response(200, json=body)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def _two_streams(start: datetime = T0) -> list[dict]:
    labels = {"job": "sentimon", "service": "sentimon", "stream": "stdout", "level": "INFO"}
    at = [start + timedelta(seconds=s) for s in range(3)]
    boom = _line(1, "boom", level=logging.ERROR, request_id="r-1", start=start)
    first, last = _access(0, "r-1", start=start), _access(2, "r-1", start=start)
    return [  # newest first in each stream, as direction=backward answers
        _stream({**labels, "request_id": "r-1"}, (at[2], last), (at[0], first)),
        _stream({**labels, "level": "ERROR", "request_id": "r-1"}, (at[1], boom)),
    ]


def test_loki_is_asked_for_the_query_and_window_and_its_streams_merged_oldest_first():
    fake = FakeLoki(_two_streams())
    start, end = T0 - timedelta(hours=1), T0 + timedelta(minutes=1)
    answer = query_range("http://loki:3100/", '{job="sentimon"}', start=start, end=end, limit=3,
                         transport=fake.transport())  # fmt: skip
    (request,) = fake.requests
    assert request.url.path == QUERY_RANGE_PATH
    assert dict(request.url.params) == {
        "query": '{job="sentimon"}',
        "start": str(int(start.timestamp()) * 10**9),
        "end": str(int(end.timestamp()) * 10**9),
        "limit": "3",
        "direction": "backward",
    }
    assert [json.loads(line)["message"] for line in answer.lines] == [
        "POST /predict 200",
        "boom",
        "POST /predict 200",
    ]
    assert [json.loads(line)["ts"] for line in answer.lines] == sorted(
        json.loads(x)["ts"] for x in answer.lines
    )
    assert answer.truncated


@pytest.mark.parametrize(
    ("fake", "words"),
    [
        (FakeLoki([], status=400), "answered 400: parse error"),
        (
            FakeLoki([{"stream": {}, "values": [["not a time", "x"]]}]),
            "did not answer with log lines",
        ),
    ],
)
def test_a_loki_error_is_reported_not_raised(fake, words):
    with pytest.raises(LokiError, match=words):
        query_range("http://loki:3100", "{}", start=T0, end=T0, limit=1, transport=fake.transport())


def _loki_command(monkeypatch, fake: FakeLoki) -> None:
    monkeypatch.setattr(
        command, "query_range", functools.partial(query_range, transport=fake.transport())
    )


def test_the_command_asks_loki_with_the_filters(monkeypatch):
    fake = FakeLoki(_two_streams(datetime.now(UTC) - timedelta(minutes=5)))
    _loki_command(monkeypatch, fake)
    result = _logs(
        "--loki", "http://loki:3100", "--request-id", "r-1", "--since", "2h", "--limit", "50"
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 3 and "boom" in result.stdout
    params = fake.requests[0].url.params
    assert params["query"] == '{job="sentimon", stream="stdout"} | request_id="r-1"'
    assert params["limit"] == "50"
    window = int(params["end"]) - int(params["start"])
    assert abs(window - 2 * 3600 * 10**9) < 10**9


def test_loki_comes_from_sentimon_loki_url_unless_files_are_named(monkeypatch, log_dir):
    fake = FakeLoki(_two_streams(datetime.now(UTC) - timedelta(minutes=5)))
    _loki_command(monkeypatch, fake)
    env = {"SENTIMON_LOKI_URL": "http://loki:3100"}
    from_loki = _logs("--json", env=env)
    assert from_loki.exit_code == 0 and len(fake.requests) == 1, from_loki.output
    window = int(fake.requests[0].url.params["end"]) - int(fake.requests[0].url.params["start"])
    assert abs(window - 3600 * 10**9) < 10**9, "Loki's own default window, an hour"
    from_files = _logs(str(log_dir), "--request-id", "req-8", env=env)
    assert from_files.exit_code == 0 and len(fake.requests) == 1
    both = _logs(str(log_dir), "--loki", "http://loki:3100")
    assert both.exit_code == 2


def test_nothing_from_loki_exits_1_and_names_the_query(monkeypatch):
    _loki_command(monkeypatch, FakeLoki([]))
    result = _logs("--loki", "http://loki:3100", "--request-id", "gone")
    assert result.exit_code == 1
    assert "no log line with request id gone since" in result.stderr
    query = '{job="sentimon", stream="stdout"} | request_id="gone"'
    assert f"in Loki at http://loki:3100 (0 lines returned for {query})" in result.stderr


def test_loki_down_exits_2(monkeypatch):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(
        command,
        "query_range",
        functools.partial(query_range, transport=httpx.MockTransport(refuse)),
    )
    result = _logs("--loki", "http://loki:3100")
    assert result.exit_code == 2 and "cannot ask Loki at http://loki:3100" in result.stderr


def test_follow_is_for_files(monkeypatch):
    result = _logs("--loki", "http://loki:3100", "--follow")
    assert result.exit_code == 2 and "logcli" in result.output

"""`sentimon logs` on the files a real `sentimon serve` writes, and against a fake Loki."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from servers import ApiServer, wait_until

SENTIMON_LOGS = [sys.executable, "-m", "sentimon", "logs"]


def _logs(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SENTIMON_LOGS, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def _predict(server: ApiServer, request_id: str) -> None:
    with server.client() as client:
        response = client.post(
            "/predict", json={"text": "I love it"}, headers={"X-Request-ID": request_id}
        )
    assert response.status_code == 200 and response.headers["x-request-id"] == request_id


def _found(log_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`sentimon logs` once it finds a line: the file sink writes up to 20 ms late."""

    def run() -> subprocess.CompletedProcess | None:
        result = _logs(*args, "--log-dir", str(log_dir))
        return result if result.returncode == 0 else None

    return wait_until(run, 30, f"sentimon logs {' '.join(args)} to find a line", interval=0.2)


def test_a_requests_lines_are_found_by_its_id(api_factory):
    server = api_factory()
    log_dir = server.workdir / "logs"
    for i in range(3):
        _predict(server, f"find-me-{i}")
    result = _found(log_dir, "--request-id", "find-me-1", "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["request_id"], r["path"], r["status"]) for r in records] == [
        ("find-me-1", "/predict", 200)
    ]

    readable = _logs("--request-id", "find-me-1", "--log-dir", str(log_dir))
    assert readable.returncode == 0
    (line,) = readable.stdout.splitlines()
    assert "INFO" in line and "find-me-1" in line and "POST /predict 200" in line and " ms)" in line

    missing = _logs("--request-id", "never-sent", "--log-dir", str(log_dir))
    assert missing.returncode == 1 and missing.stdout == ""
    assert f"no log line with request id never-sent in {log_dir} (1 file, " in missing.stderr


def test_the_lines_of_every_worker_are_read_in_time_order(api_factory):
    server = api_factory(args=["--workers", "2"])
    log_dir = server.workdir / "logs"
    ids = [f"worker-line-{i}" for i in range(12)]
    for request_id in ids:
        _predict(server, request_id)

    def every_line() -> list[dict] | None:
        result = _logs("--route", "/predict", "--json", "--log-dir", str(log_dir))
        records = [json.loads(line) for line in result.stdout.splitlines()]
        return records if {r["request_id"] for r in records} == set(ids) else None

    records = wait_until(every_line, 30, "every request's line", interval=0.2)
    assert [r["ts"] for r in records] == sorted(r["ts"] for r in records)
    assert any(path.name.startswith("sentimon-") for path in log_dir.iterdir()), "per-worker files"


def _pump_lines(stream) -> tuple[queue.Queue, threading.Thread]:
    """Each line `stream` gives, on a queue, read by a thread until the end."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return lines, thread


def _read_until(lines: queue.Queue, wanted: set[str], timeout: float) -> list[dict]:
    """The JSON records printed until every id in `wanted` was among them."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while not wanted <= {record["request_id"] for record in seen}:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            missing = wanted - {record["request_id"] for record in seen}
            raise AssertionError(f"sentimon logs --follow never printed {sorted(missing)}")
        try:
            seen.append(json.loads(lines.get(timeout=remaining)))
        except queue.Empty:
            continue
    return seen


def test_follow_prints_lines_as_they_are_written_across_a_rotation(api_factory, tmp_path):
    # 4 KiB files: a dozen request lines each, so these requests rotate the file twice.
    server = api_factory(env={"SENTIMON_LOG_MAX_BYTES": "4096", "SENTIMON_LOG_BACKUPS": "10"})
    log_dir = server.workdir / "logs"
    _predict(server, "before-follow")
    stderr_path = tmp_path / "follow.stderr"
    with stderr_path.open("wb") as stderr:
        follower = subprocess.Popen(
            [
                *SENTIMON_LOGS,
                "--follow",
                "--route",
                "/predict",
                "--json",
                "--log-dir",
                str(log_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    lines, pump = _pump_lines(follower.stdout)
    try:
        _read_until(lines, {"before-follow"}, 30)  # the history: it is following now
        ids = {f"while-following-{i}" for i in range(30)}
        for request_id in sorted(ids):
            _predict(server, request_id)
        seen = _read_until(lines, ids, 30)
        assert len(seen) == len({r["request_id"] for r in seen}), "a line printed twice"
        assert (log_dir / "sentimon.log.2").exists(), "the file should have rotated twice"
    finally:
        follower.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            follower.wait(15)
        except subprocess.TimeoutExpired:
            follower.kill()
            follower.wait()
            raise
        finally:
            pump.join(5)
            follower.stdout.close()
    assert follower.returncode == 0, stderr_path.read_text()


class _FakeLoki(BaseHTTPRequestHandler):
    """Loki's query_range as its HTTP API reference documents it; keeps what it was asked."""

    asked: ClassVar[list[tuple[str, dict[str, list[str]]]]] = []
    streams: ClassVar[list[dict]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.asked.append((url.path, parse_qs(url.query)))
        body = {
            "status": "success",
            "data": {"resultType": "streams", "result": self.streams, "stats": {}},
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture
def fake_loki() -> Iterator[str]:
    _FakeLoki.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLoki)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_loki_is_asked_through_sentimon_loki_url(fake_loki):
    line = {
        "ts": "2026-12-07T17:02:28.486Z",
        "level": "WARNING",
        "logger": "sentimon.access",
        "message": "POST /predict 500",
        "request_id": "from-loki",
        "pid": 7,
        "method": "POST",
        "path": "/predict",
        "status": 500,
        "duration_ms": 1.204,
    }
    labels = {"job": "sentimon", "service": "sentimon", "stream": "stdout", "level": "WARNING"}
    _FakeLoki.streams = [{"stream": labels, "values": [["1796662948486000000", json.dumps(line)]]}]
    result = _logs(
        "--request-id", "from-loki", "--level", "warn", "--since", "2026-12-07T17:00:00Z",
        env={"SENTIMON_LOKI_URL": fake_loki},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "from-loki" in result.stdout and "POST /predict 500" in result.stdout
    ((path, params),) = _FakeLoki.asked
    assert path == "/loki/api/v1/query_range"
    selector = '{job="sentimon", stream="stdout", level=~"(?i)WARNING|ERROR|CRITICAL"}'
    assert params["query"] == [f'{selector} | request_id="from-loki"']
    assert params["start"] == ["1796662800000000000"] and params["direction"] == ["backward"]

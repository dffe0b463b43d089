"""Connection limits of the real server: header size, read deadline, idle connections."""

import socket
import time
from collections.abc import Iterator

import pytest
from servers import ApiServer, start_api

KEEP_ALIVE = 1.0
READ_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[ApiServer]:
    server = start_api(
        tmp_path_factory.mktemp("limited"),
        {
            "SENTIMON_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
            "SENTIMON_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
        },
    )
    yield server
    server.stop()


def _connect(server: ApiServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return sock


def _read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    start, received = time.monotonic(), b""
    while chunk := sock.recv(65536):
        received += chunk
    return received, time.monotonic() - start


def test_oversized_headers_get_431_and_the_server_keeps_serving(limited):
    with limited.client() as c:
        r = c.get("/healthz", headers={"x-request-id": "a" * 20_000})
        assert r.status_code == 431
        assert r.headers["connection"] == "close"
        assert c.get("/healthz", headers={"x-request-id": "a" * 8_000}).status_code == 200
        assert c.post("/predict", json={"text": "still serving"}).status_code == 200


def test_an_unfinished_header_is_cut_at_the_limit_not_buffered(limited):
    with _connect(limited) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 40_000)
        received, _ = _read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 431 ")


def test_a_connection_that_sends_nothing_is_closed_after_the_keep_alive_timeout(limited):
    with _connect(limited) as sock:
        received, waited = _read_until_closed(sock)
    assert received == b""
    assert KEEP_ALIVE * 0.9 <= waited < READ_TIMEOUT + 2


def test_a_half_sent_request_is_answered_408_after_the_read_timeout(limited):
    with _connect(limited) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-half")
        received, waited = _read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert READ_TIMEOUT * 0.9 <= waited < READ_TIMEOUT + 3


def test_a_request_line_sent_a_byte_at_a_time_is_still_cut(limited):
    """slowloris: bytes keep arriving, but the request never completes in time."""
    request = b"GET /healthz HTTP/1.1\r\nhost: x\r\n" + b"x-drip: " + b"a" * 200
    start = time.monotonic()
    with _connect(limited) as sock:
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:  # the server closed the connection under us
            pass
        received, _ = _read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - start < READ_TIMEOUT + 3


def test_a_stalled_body_is_cut_after_the_read_timeout(limited):
    with _connect(limited) as sock:
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            b"content-length: 100\r\n\r\n" + b'{"text": "'
        )
        received, waited = _read_until_closed(sock)
    assert b" 200 " not in received
    assert READ_TIMEOUT * 0.9 <= waited < READ_TIMEOUT + 3
    with limited.client() as c:
        assert c.post("/predict", json={"text": "still serving"}).status_code == 200


def test_keep_alive_requests_are_served_within_the_limits(limited):
    with limited.client() as c:
        for _ in range(20):
            assert c.post("/predict", json={"text": "fine"}).status_code == 200


def test_the_read_deadline_runs_from_each_request_s_own_first_byte(limited):
    with _connect(limited) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        first = b""
        while not first.endswith(b'{"status":"ok"}'):
            first += sock.recv(65536)
        time.sleep(KEEP_ALIVE / 2)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-half")
        received, waited = _read_until_closed(sock)
    assert first.startswith(b"HTTP/1.1 200 ")
    assert received.startswith(b"HTTP/1.1 408 ")
    assert READ_TIMEOUT * 0.9 <= waited < READ_TIMEOUT + 3

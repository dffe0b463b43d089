"""The request's one owner, in process: a bare create_app as served, and clients that go away
before their response counted as 499, never as a failure of the service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sentimon.api.app import create_app
from sentimon.api.middleware import RequestRecord
from sentimon.settings import Settings

pytestmark = pytest.mark.anyio

BODY = b'{"text": "a fine day"}'


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def app() -> AsyncIterator[FastAPI]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    app = create_app(Settings(log_dir=None))  # bare: what a library user or a test builds
    async with app.router.lifespan_context(app):
        yield app
    app.state.logging.stop()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _registry(app: FastAPI) -> CollectorRegistry:
    return app.state.metrics.registry


def _requests(app: FastAPI, status: str) -> float:
    labels = {"handler": "/predict", "method": "POST", "status": status}
    return _registry(app).get_sample_value("http_requests_total", labels) or 0.0


def _scope(path: str = "/predict") -> dict:
    headers = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def _receiving(*messages: dict):
    queue = list(messages)

    async def receive() -> dict:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    return receive


async def test_a_bare_create_app_counts_its_log_lines(app):
    # The lifespan logged "model ... loaded" at INFO, through the logging create_app set up.
    assert _registry(app).get_sample_value("log_messages_total", {"level": "INFO"}) >= 1


async def test_a_client_gone_before_its_body_ends_is_a_499_not_an_error(app):
    before = {status: _requests(app, status) for status in ("400", "499", "500")}
    sent = []

    async def send(message: dict) -> None:
        sent.append(message)

    receive = _receiving(
        {"type": "http.request", "body": BODY[:8], "more_body": True},
        {"type": "http.disconnect"},
    )
    scope = _scope()
    await app(scope, receive, send)
    assert _requests(app, "499") == before["499"] + 1
    assert _requests(app, "400") == before["400"]
    assert _requests(app, "500") == before["500"]
    labels = {"handler": "/predict", "method": "POST", "status": "499"}
    assert _registry(app).get_sample_value("http_request_duration_seconds_count", labels) >= 1
    record = scope["state"]["record"]
    assert isinstance(record, RequestRecord) and record.client_closed
    assert record.log_fields() == {"client_closed": True}


async def test_a_response_the_client_is_gone_for_is_a_499_not_an_error(app):
    before = {status: _requests(app, status) for status in ("200", "499", "500")}

    async def send(message: dict) -> None:
        raise OSError("connection reset by peer")

    receive = _receiving({"type": "http.request", "body": BODY, "more_body": False})
    scope = _scope()
    await app(scope, receive, send)  # nothing raised: nobody is left to tell
    assert _requests(app, "499") == before["499"] + 1
    assert _requests(app, "200") == before["200"]
    assert _requests(app, "500") == before["500"]
    # The route ran to the end and filled in its record before the send failed.
    record = scope["state"]["record"]
    assert record.label and record.text_chars == 10 and len(record.text_hash) == 12

"""/metrics and the API kept apart by the port a request arrived on, in process: httpx's ASGI
transport puts the URL's port in `scope["server"]`, where uvicorn puts the socket's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from sentimon.api.app import create_app
from sentimon.api.metrics_port import MetricsPortRouter
from sentimon.api.middleware import RequestRecord
from sentimon.settings import Settings

pytestmark = pytest.mark.anyio

API_PORT, METRICS_PORT = 8000, 9464
ON_API = f"http://testserver:{API_PORT}"
ON_METRICS = f"http://testserver:{METRICS_PORT}"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def _app(metrics_port: int | None) -> FastAPI:
    settings = Settings(port=API_PORT, metrics_port=metrics_port, log_dir=None, access_log=False)
    return create_app(settings)


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: neither routing nor /metrics needs the model.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


def _assert_not_found(response: httpx.Response) -> None:
    """The API's usual 404: its JSON error, its request id, its security headers."""
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["error"] == {"type": "not_found", "message": "Not Found"}
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_metrics_port_serves_metrics_and_nothing_else():
    async with _client(_app(METRICS_PORT)) as client:
        metrics = await client.get(f"{ON_METRICS}/metrics")
        assert metrics.status_code == 200
        assert "# TYPE http_requests_total counter" in metrics.text
        for method, path in [("GET", "/healthz"), ("GET", "/"), ("GET", "/info")]:
            _assert_not_found(await client.request(method, f"{ON_METRICS}{path}"))


async def test_a_wrong_port_is_404_before_the_body_is_judged():
    """Not 415 for a body that is not JSON: on the metrics port there is no /predict at all."""
    async with _client(_app(METRICS_PORT)) as client:
        response = await client.post(
            f"{ON_METRICS}/predict", content=b"hi", headers={"content-type": "text/plain"}
        )
        _assert_not_found(response)


async def test_the_api_port_serves_the_api_but_not_metrics():
    async with _client(_app(METRICS_PORT)) as client:
        _assert_not_found(await client.get(f"{ON_API}/metrics"))
        assert (await client.get(f"{ON_API}/healthz")).status_code == 200
        # Other ports than the metrics port are API ports (uvicorn listens on two only).
        assert (await client.get("http://testserver:8080/healthz")).status_code == 200


async def test_wrong_port_metrics_requests_are_not_counted_as_traffic():
    async with _client(_app(METRICS_PORT)) as client:
        await client.get(f"{ON_API}/metrics")
        await client.get(f"{ON_METRICS}/metrics")
        text = (await client.get(f"{ON_METRICS}/metrics")).text
    assert 'handler="/metrics"' not in text


async def test_without_a_metrics_port_there_is_no_layer_and_metrics_are_on_the_api_port():
    app = _app(None)
    assert MetricsPortRouter not in {middleware.cls for middleware in app.user_middleware}
    async with _client(app) as client:
        assert (await client.get(f"{ON_API}/metrics")).status_code == 200
        assert (await client.get(f"{ON_METRICS}/metrics")).status_code == 200


async def test_a_unix_socket_connection_is_an_api_connection():
    """ASGI gives `server` as None on a unix socket; it is never the metrics port."""
    reached = []

    async def inner(scope, receive, send) -> None:
        reached.append(scope["path"])

    router = MetricsPortRouter(inner, metrics_port=METRICS_PORT)
    state = {"record": RequestRecord("id")}
    scope = {"type": "http", "server": None, "path": "/predict", "state": state}
    await router(scope, None, None)
    assert reached == ["/predict"]

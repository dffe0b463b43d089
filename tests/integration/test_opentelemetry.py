"""FastAPI's native OpenTelemetry: off unless SENTIMON_OPENTELEMETRY asks for it.

In process, with the OpenTelemetry SDK as the global tracer provider (what
opentelemetry-instrument would set up) and spans kept in memory.
"""

import asyncio

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sentimon.api.app import create_app
from sentimon.settings import Settings


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # once per process: OpenTelemetry refuses a second
    return exporter


async def _predict_once(opentelemetry: bool) -> httpx.Response:
    app = create_app(Settings(opentelemetry=opentelemetry, log_dir=None))
    async with app.router.lifespan_context(app):  # loads the model
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sentimon") as client:
            return await client.post("/predict", json={"text": "the flight was lovely"})


def _spans_of_one_predict(spans: InMemorySpanExporter, opentelemetry: bool) -> tuple:
    spans.clear()
    response = asyncio.run(_predict_once(opentelemetry))
    assert response.status_code == 200, response.text
    return spans.get_finished_spans()


def test_no_spans_unless_asked_for(spans):
    assert _spans_of_one_predict(spans, opentelemetry=False) == ()


def test_asked_for_a_request_gets_a_server_span_with_its_route(spans):
    server = [
        s for s in _spans_of_one_predict(spans, opentelemetry=True) if s.kind.name == "SERVER"
    ]
    assert len(server) == 1, server
    assert server[0].attributes["http.route"] == "/predict"
    assert server[0].attributes["http.response.status_code"] == 200

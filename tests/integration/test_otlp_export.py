"""Spans over OTLP/HTTP from a real `sentimon serve`, only when OTEL_EXPORTER_OTLP_ENDPOINT
is set. No OpenTelemetry Collector can run here: a small HTTP server stands in for one
and decodes what the real exporter sends (OTLP protobuf, POST /v1/traces)."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from servers import free_port, wait_until

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


class _Collector(BaseHTTPRequestHandler):
    received: list[ExportTraceServiceRequest]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.path == "/v1/traces":
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            self.server.received.append(request)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(b"")

    def log_message(self, *args):
        pass


@pytest.fixture
def collector():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Collector)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _spans(collector) -> list:
    return [
        span
        for request in collector.received
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]


def _attributes(span) -> dict:
    return {a.key: a.value.string_value or a.value.int_value for a in span.attributes}


def test_a_traced_request_is_exported_in_its_callers_trace(api_factory, collector):
    endpoint = f"http://127.0.0.1:{collector.server_port}"
    server = api_factory(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"}
    )
    with server.client() as client:
        response = client.post(
            "/predict", json={"text": "a lovely flight"}, headers={"traceparent": TRACEPARENT}
        )
    assert response.status_code == 200

    def predict_spans() -> list:
        # The start-up's /readyz polls are traced too, each in a trace of its own.
        return [s for s in _spans(collector) if _attributes(s).get("http.route") == "/predict"]

    spans = wait_until(predict_spans, 15, "the /predict span at the fake collector", 0.2)
    assert [span.trace_id.hex() for span in spans] == [TRACE_ID]
    assert spans[0].kind == spans[0].SPAN_KIND_SERVER
    service = collector.received[0].resource_spans[0].resource.attributes
    assert {a.key: a.value.string_value for a in service}["service.name"] == "sentimon"


def test_without_an_endpoint_nothing_of_opentelemetry_is_imported():
    """Off costs nothing: not even the SDK's import."""
    probe = (
        "import sys; from sentimon.api.app import create_app; from sentimon.settings import "
        "Settings; create_app(Settings(log_dir=None)); "
        "print('SDK', sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk')))"
    )
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "SDK []" in result.stdout.splitlines(), result.stdout

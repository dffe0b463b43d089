"""Pure ASGI layer that keeps /metrics and the API apart by the local port a connection
arrived on, so that a NetworkPolicy (ports, not paths) can admit only Prometheus to /metrics.

Added only when SENTIMON_METRICS_PORT is set: without it no request pays for this layer.
With it, one more pure-ASGI call and two compares, about 0.7 µs a request in a tight loop here,
against some 900 µs of CPU for a /predict.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from sentimon.api.middleware import RequestRecord, error_payload
from sentimon.api.routes.metrics import METRICS_PATH


class MetricsPortRouter:
    """On `metrics_port` only /metrics is served; on any other port /metrics is not.

    Either refusal is the API's usual 404 (same JSON, request id). It sits inside
    RequestMiddleware, which gives it that id, the security headers, and counts and logs
    it as any 404: a scrape sent to the wrong port stays uncounted and at DEBUG, as
    /metrics always is. The port is the socket's own (`scope["server"]`), which no header
    can change.
    """

    def __init__(self, app: ASGIApp, *, metrics_port: int) -> None:
        self.app = app
        self.metrics_port = metrics_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            server = scope["server"]  # None on a unix socket, which is never the metrics port
            on_metrics_port = server is not None and server[1] == self.metrics_port
            if on_metrics_port != (scope["path"] == METRICS_PATH):
                record: RequestRecord = scope["state"]["record"]
                payload = error_payload("not_found", "Not Found", record.request_id)
                await JSONResponse(payload, 404)(scope, receive, send)
                return
        await self.app(scope, receive, send)

"""The one middleware that owns a request: its id, its record, its metrics, its log line, its
error boundary, and what happens when the client goes away.

Pure ASGI rather than BaseHTTPMiddleware, which measured here at half the throughput of
a trivial endpoint; and one layer rather than two (docs/performance.md).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from dataclasses import dataclass

import orjson
from prometheus_client import Gauge
from starlette.requests import ClientDisconnect, HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentimon.observability.context import REQUEST_ID_PATTERN, request_id_var, trace_id_var
from sentimon.observability.exemplars import request_exemplar
from sentimon.observability.http_metrics import HttpMetrics, content_length, route_template
from sentimon.observability.logging import LineWriter

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("sentimon.access")

# Probes and the scrape: not counted in the request metrics (they would drown the rate and
# latency of real traffic) and logged at DEBUG (at INFO they would drown the request log).
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# nginx's "client closed request": the client went away before its response. Not a 5xx,
# so not counted against the service by the error-rate alerts.
CLIENT_CLOSED = 499

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(REQUEST_ID_PATTERN.encode("ascii"))
# W3C Trace Context: version-traceid-parentid-flags. A later version may append fields.
TRACEPARENT_HEADER = b"traceparent"
_TRACEPARENT = re.compile(rb"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?")
# The response tells the caller which trace its request joined (only when it brought one).
TRACE_ID_HEADER = b"x-trace-id"

# The fields a route may set on its request's record, in the order the log line shows them.
_ROUTE_FIELDS = (
    "texts",
    "text_chars",
    "text_hash",
    "text",
    "label",
    "confidence",
    "predicted_label",
    "true_label",
    "correct",
    "refused",
)


@dataclass(slots=True)
class RequestRecord:
    """One request, as its access line will tell it. The middleware puts it in
    `scope["state"]["record"]`; routes fill in the fields they know (left None: not logged)."""

    request_id: str
    trace_id: str | None = None  # from the request's traceparent, never invented
    texts: int | None = None
    text_chars: int | None = None
    text_hash: str | None = None
    text: str | None = None  # raw text, only with SENTIMON_LOG_TEXT
    label: str | None = None
    confidence: float | None = None
    predicted_label: str | None = None
    true_label: str | None = None
    correct: bool | None = None
    refused: str | None = None  # why feedback was refused
    client_closed: bool = False  # the client went away before its response: status 499

    def log_fields(self) -> dict:
        fields = {}
        for name in _ROUTE_FIELDS:
            value = getattr(self, name)
            if value is not None:
                fields[name] = value
        if self.client_closed:
            fields["client_closed"] = True
        return fields


def request_record(request: HTTPConnection) -> RequestRecord:
    """The record RequestMiddleware made for this request."""
    return request.scope["state"]["record"]


def error_payload(kind: str, message: str, request_id: str | None, details=None) -> dict:
    """The JSON shape of every error this service returns."""
    error: dict = {"type": kind, "message": message}
    if details:
        error["details"] = details
    return {"error": error, "request_id": request_id}


def _json_response_messages(status: int, body: dict) -> tuple[Message, Message]:
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    start = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": payload}


def _new_request_id() -> str:
    # 32 random hex digits, as uuid4().hex gives, for a seventh of its cost (1 µs, not 7).
    return os.urandom(16).hex()


def _incoming_ids(scope: Scope) -> tuple[str | None, str | None]:
    """(the client's X-Request-ID, the trace id of its traceparent), each when valid."""
    request_id = trace_id = None
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            if request_id is None and _VALID_REQUEST_ID.fullmatch(value):
                request_id = value.decode("ascii")
        elif name == TRACEPARENT_HEADER and trace_id is None:
            trace_id = _trace_id(value)
    return request_id, trace_id


def _trace_id(traceparent: bytes) -> str | None:
    """The trace id of a valid traceparent; None for a malformed one, as the
    specification asks (version ff and all-zero ids are invalid)."""
    match = _TRACEPARENT.fullmatch(traceparent.strip())
    if match is None:
        return None
    version, trace, parent, rest = match.groups()
    if version == b"ff" or (version == b"00" and rest) or trace == b"0" * 32 or parent == b"0" * 16:
        return None
    return trace.decode("ascii")


class RequestMiddleware:
    """Gives every request an id and a RequestRecord, counts it in flight, answers a crash with
    a JSON 500, then counts and times it (`http_*` metrics) and logs its one access line.

    A client that goes away before its response (receive() says `http.disconnect`, or
    sending fails) is recorded as 499 whatever the app answered: logged at INFO with
    `client_closed`, counted under status 499, no traceback. A client that leaves while
    the app computes and never reads again goes unnoticed: the server drops the response
    silently, and it is counted with the status the app chose.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics | None = None,
        in_progress: Gauge | None = None,
        access_log: LineWriter | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics  # None: no request metrics
        self.in_progress = in_progress
        self.access_log = access_log  # None: no request lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id, trace_id = _incoming_ids(scope)
        record = RequestRecord(request_id or _new_request_id(), trace_id)
        scope.setdefault("state", {})["record"] = record
        token = request_id_var.set(record.request_id)
        headers = [(REQUEST_ID_HEADER, record.request_id.encode())]
        trace_token = None
        if trace_id is not None:
            trace_token = trace_id_var.set(trace_id)
            headers.append((TRACE_ID_HEADER, trace_id.encode()))
        status, response_headers = 500, []
        response_started = response_done = False

        async def watched_receive() -> Message:
            message = await receive()
            # After the response the server answers every receive() with a disconnect.
            if message["type"] == "http.disconnect" and not response_done:
                record.client_closed = True
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_headers, response_started, response_done
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                response_headers = message["headers"] = [*message.get("headers", ()), *headers]
            try:
                await send(message)
            except (OSError, ClientDisconnect):
                record.client_closed = True
                raise
            if message["type"] == "http.response.body" and not message.get("more_body"):
                response_done = True

        if self.in_progress is not None:
            self.in_progress.inc()
        try:
            try:
                await self.app(scope, watched_receive, send_with_id)
            except Exception as exc:
                if record.client_closed or isinstance(exc, ClientDisconnect):
                    # Nobody to answer, and no fault of the service's.
                    record.client_closed = True
                    logger.debug("client closed during %s", scope["path"], exc_info=True)
                else:
                    logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
                    if response_started:
                        raise  # too late for a clean response; the server closes the connection
                    payload = error_payload(
                        "internal_error", "internal server error", record.request_id
                    )
                    with contextlib.suppress(OSError, ClientDisconnect):  # gone meanwhile: 499
                        for message in _json_response_messages(500, payload):
                            await send_with_id(message)
        finally:
            seconds = time.perf_counter() - start
            if self.in_progress is not None:
                self.in_progress.dec()
            if record.client_closed:
                status, response_headers = CLIENT_CLOSED, []
            handler = route_template(scope)
            quiet = handler in QUIET_PATHS
            if self.metrics is not None and not quiet:
                self.metrics.observe(
                    (handler, scope["method"], str(status)),
                    seconds,
                    content_length(scope["headers"]),
                    content_length(response_headers),
                    request_exemplar(record.request_id, record.trace_id),
                )
            if self.access_log is not None:
                self._log(scope, record, status, seconds, quiet)
            request_id_var.reset(token)
            if trace_token is not None:
                trace_id_var.reset(trace_token)

    def _log(
        self, scope: Scope, record: RequestRecord, status: int, seconds: float, quiet: bool
    ) -> None:
        path, method = scope["path"], scope["method"]
        # A 5xx goes at WARNING, to stderr and syslog too, beside the ERROR traceback.
        level = logging.WARNING if status >= 500 else logging.DEBUG if quiet else logging.INFO
        fields = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            **record.log_fields(),
        }
        self.access_log(level, f"{method} {path} {status}", fields)

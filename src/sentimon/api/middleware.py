"""Pure ASGI middleware: request ids, the last-resort error boundary, and the body guard.

Written against raw ASGI rather than BaseHTTPMiddleware, which measured here at
half the throughput of a trivial endpoint.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import orjson
from prometheus_client import Gauge
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentimon.observability.context import request_id_var
from sentimon.observability.logging import LineWriter

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("sentimon.access")

# Probes and scrapes log at DEBUG: at INFO they would drown the request log.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")


def _json_response_messages(
    status: int, body: dict, request_id: str | None = None
) -> tuple[Message, Message]:
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if request_id:
        headers.append((REQUEST_ID_HEADER, request_id.encode()))
    start = {"type": "http.response.start", "status": status, "headers": headers}
    return start, {"type": "http.response.body", "body": payload}


def error_payload(kind: str, message: str, request_id: str | None, details=None) -> dict:
    """The JSON shape of every error this service returns."""
    error: dict = {"type": kind, "message": message}
    if details:
        error["details"] = details
    return {"error": error, "request_id": request_id}


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _VALID_REQUEST_ID.fullmatch(value) else None
    return None


class RequestContextMiddleware:
    """Gives every request an id, counts it in flight, logs one line for it, and answers crashes.

    It sits outside everything else, so even a 500 carries X-Request-ID, and the
    traceback is logged while the request id is still in context. Routes add
    fields to the request's line through `scope["state"]["log"]`.
    """

    def __init__(
        self,
        app: ASGIApp,
        in_progress: Gauge | None = None,
        access_log: LineWriter | None = None,
    ) -> None:
        self.app = app
        self.in_progress = in_progress
        self.access_log = access_log  # None: no request lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        if self.in_progress is not None:
            self.in_progress.inc()
        try:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
                if response_started:
                    raise  # too late for a clean response; the server closes the connection
                for message in _json_response_messages(
                    500,
                    error_payload("internal_error", "internal server error", request_id),
                    request_id,
                ):
                    await send(message)
        finally:
            if self.in_progress is not None:
                self.in_progress.dec()
            if self.access_log is not None:
                self._log(scope, state, status, time.perf_counter() - start)
            request_id_var.reset(token)

    def _log(self, scope: Scope, state: dict, status: int, seconds: float) -> None:
        path, method = scope["path"], scope["method"]
        if status >= 500:
            level = logging.WARNING  # also to stderr and syslog, beside the ERROR traceback
        else:
            level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
        fields = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
        }
        extra = state.get("log")
        if extra:
            fields |= extra
        self.access_log(level, f"{method} {path} {status}", fields)


# Methods whose body this API reads; it reads nothing but JSON.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json_media_type(value: bytes) -> bool:
    """application/json or any application/...+json, parameters such as charset allowed."""
    mime = value.split(b";", 1)[0].strip().lower()
    return mime == b"application/json" or (
        mime.startswith(b"application/") and mime.endswith(b"+json")
    )


class BodyGuardMiddleware:
    """Refuses a body before anything parses it: 415 unless it is declared as JSON, 413 when it
    is over `max_bytes`, chunked ones too.

    The checks run when a route first asks for the body, so after routing: an unknown path
    still gets the router's 404 and a wrong method its 405 with `Allow`, whatever the
    content type. They run before a byte of the body is read (415, and 413 on a declared
    length) or as soon as the count passes the limit (chunked), and raise HTTPException
    from `receive`, which FastAPI hands to the error handlers (errors.py) rather than
    calling it a parsing error.

    Checked here rather than in a route dependency: FastAPI's dependency solving cost
    every /predict about 30 µs per dependency (docs/performance.md).
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, size: str) -> HTTPException:
        return HTTPException(
            413,
            f"request body is {size}; the limit is {self.max_bytes} bytes "
            "(SENTIMON_MAX_BODY_BYTES)",
        )

    def _check_headers(self, headers: list[tuple[bytes, bytes]]) -> None:
        content_type = length = None
        for name, value in headers:
            if name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
        if content_type is None or not is_json_media_type(content_type):
            shown = content_type.decode("latin-1") if content_type else "none"
            raise HTTPException(415, f"content-type must be application/json, got {shown}")
        try:
            declared = int(length) if length is not None else 0
        except ValueError:
            declared = 0
        if declared > self.max_bytes:
            raise self._too_large(f"{declared} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        received = -1  # the route has not asked for the body yet

        async def guarded_receive() -> Message:
            nonlocal received
            if received < 0:
                self._check_headers(scope["headers"])
                received = 0
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large(f"over {self.max_bytes} bytes")
            return message

        await self.app(scope, guarded_receive, send)

"""Pure ASGI middleware that refuses a body before anything parses it (415, 413)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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

"""uvicorn's httptools protocol with the connection limits uvicorn lacks.

uvicorn bounds neither the size of a request's headers on the httptools parser
(only h11 has `h11_max_incomplete_event_size`) nor the time a client may take
to send a request, and it arms its keep-alive timer only after a first response:
a connection that never sends a byte, or sends a request line a byte at a time
(slowloris), stays open for ever. This subclass adds, per connection:

- a header byte budget: the request line and headers together over
  `header_max_bytes` get 431 and the connection is closed, before httptools
  buffers more of them;
- a read deadline: from a request's first byte to its last body byte, at most
  `read_timeout_seconds`, else 408 (headers unfinished) or a plain close (body
  stalled: the app sees the client disconnect);
- the keep-alive timeout from the moment a connection opens, not only between
  requests.
"""

from __future__ import annotations

import logging
from asyncio import TimerHandle
from dataclasses import dataclass
from http import HTTPStatus

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectionLimits:
    """What one connection may send, and how slowly."""

    header_max_bytes: int
    read_timeout_seconds: float


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that enforces ConnectionLimits (pass them with functools.partial)."""

    def __init__(self, *args, limits: ConnectionLimits, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        # Bytes of the current request's line and headers; None once they are complete.
        self._header_bytes: int | None = 0
        # When the request being read began (loop time); None between requests.
        self._request_started: float | None = None
        # One timer per connection, re-armed only when it fires early: a timer per
        # request would cost more than the bookkeeping it saves.
        self._read_timer: TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        # A connection that never sends a request is idle: the keep-alive timeout applies.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._request_started is None:
            self._request_started = self.loop.time()
            if self._read_timer is None:
                self._read_timer = self.loop.call_later(
                    self.limits.read_timeout_seconds, self._check_read_deadline
                )
        if self._header_bytes is None:  # the body, or a request waiting for its response
            super().data_received(data)
            return
        budget = self.limits.header_max_bytes - self._header_bytes
        if len(data) <= budget:
            self._header_bytes += len(data)
            super().data_received(data)
            return
        # This chunk may end the headers and carry body bytes: parse up to the budget only.
        self._header_bytes = self.limits.header_max_bytes
        super().data_received(data[:budget])
        if self.transport.is_closing():
            return
        if self._header_bytes == self.limits.header_max_bytes:
            self._reject(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        else:  # the headers ended within the budget (and maybe the whole request)
            self.data_received(data[budget:])

    def on_headers_complete(self) -> None:
        self._header_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._request_started = None
        self._header_bytes = 0
        super().on_message_complete()

    def _check_read_deadline(self) -> None:
        self._read_timer = None
        if self._request_started is None or self.transport.is_closing():
            return  # between requests: the keep-alive timeout applies
        left = self._request_started + self.limits.read_timeout_seconds - self.loop.time()
        if left > 0:  # an earlier request finished and this one began later
            self._read_timer = self.loop.call_later(left, self._check_read_deadline)
            return
        if self._header_bytes is not None:  # no app is running for this request yet
            self._reject(HTTPStatus.REQUEST_TIMEOUT)
        else:
            logger.info(
                "request body not received in %ss: connection closed",
                self.limits.read_timeout_seconds,
            )
            self.transport.close()

    def _reject(self, status: HTTPStatus) -> None:
        """Answer a request the app never sees, then close the connection."""
        logger.info("%d %s: connection closed", status.value, status.phrase)
        body = status.phrase.encode("ascii")
        head = [STATUS_LINE[status.value]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head.append(
            b"content-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
        )
        self.transport.write(b"".join(head) + body)
        self.transport.close()

"""Per-request context that log lines pick up without threading it through every call."""

from contextvars import ContextVar

# A request id a client may choose (X-Request-ID); anything else gets a generated one.
REQUEST_ID_PATTERN = r"[A-Za-z0-9._-]{1,128}"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The W3C trace id of a request that came with a traceparent header; None for the others.
trace_id_var: ContextVar[str | None] = ContextVar("trace_id", default=None)

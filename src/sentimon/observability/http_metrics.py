"""HTTP request metrics, labelled by route template; api/middleware.py observes them.

They keep prometheus-fastapi-instrumentator's metric names, help texts and labels (the
dashboards and rules read them; the request size is a histogram here, with the same sum
and count), but are observed after the response: the router has
already matched the route and left it in the scope, so no request is matched twice and
no Request, Response or Info object is built (35 to 85 µs a request on this CPU,
docs/performance.md).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, Summary
from prometheus_fastapi_instrumentator.routing import get_route_name
from starlette.requests import HTTPConnection
from starlette.types import Scope

from sentimon.observability.exemplars import ExemplarStore
from sentimon.observability.exemplars import observe as observe_with_exemplar
from sentimon.observability.metrics import HTTP_BYTES_BUCKETS, HTTP_SECONDS_BUCKETS

# Paths no route matches (scanners, typos) share one label value, so they cannot
# blow up the number of series.
UNMATCHED = "none"
_LABELS = ("handler", "method", "status")
DURATION = "http_request_duration_seconds"


class HttpMetrics:
    """The four request metrics, on the registry given; with an ExemplarStore (several
    workers) the duration's exemplars go there instead of to prometheus_client."""

    def __init__(self, registry: CollectorRegistry, exemplars: ExemplarStore | None = None) -> None:
        self.exemplars = exemplars
        if exemplars is not None:
            exemplars.track(DURATION, HTTP_SECONDS_BUCKETS)
        self.requests = Counter(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            _LABELS,
            registry=registry,
        )
        self.duration = Histogram(
            DURATION,
            "Duration of HTTP requests in seconds",
            _LABELS,
            buckets=HTTP_SECONDS_BUCKETS,
            registry=registry,
        )
        # A histogram, not the instrumentator's summary: the same _sum and _count, and
        # buckets for the size distribution (a burst of huge bodies hides in a mean).
        self.request_size = Histogram(
            "http_request_size_bytes",
            "Content bytes of requests.",
            _LABELS,
            buckets=HTTP_BYTES_BUCKETS,
            registry=registry,
        )
        self.response_size = Summary(
            "http_response_size_bytes", "Content bytes of responses.", _LABELS, registry=registry
        )
        # (handler, method, status) -> its four children: a request pays one dict lookup
        # instead of four `labels()` calls (1 µs each, with a lock).
        self._children: dict[tuple[str, str, str], tuple] = {}

    def observe(
        self,
        labels: tuple[str, str, str],
        seconds: float,
        request_bytes: int,
        response_bytes: int,
        exemplar: dict[str, str] | None = None,
    ) -> None:
        children = self._children.get(labels)
        if children is None:
            children = self._children[labels] = tuple(
                metric.labels(*labels)
                for metric in (self.requests, self.duration, self.request_size, self.response_size)
            )
        requests, duration, request_size, response_size = children
        requests.inc()
        observe_with_exemplar(duration, seconds, exemplar, self.exemplars, DURATION, labels)
        request_size.observe(request_bytes)
        response_size.observe(response_bytes)


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/predict`), the mount's for static files, or `none`."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route.path
    # Mounts (static files) and unmatched paths: rare, so resolving again is cheap enough.
    return get_route_name(HTTPConnection(scope), should_include_root_path=False) or UNMATCHED


def content_length(headers: list[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0

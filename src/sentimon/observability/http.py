"""HTTP request metrics through prometheus-fastapi-instrumentator, on our registry."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator, metrics

from sentimon.observability.metrics import HTTP_SECONDS_BUCKETS

# Probes and scrapes would drown the request rate and latency of real traffic.
EXCLUDED_HANDLERS = ("^/metrics$", "^/healthz$", "^/readyz$")


def instrument_http(app: FastAPI, registry: CollectorRegistry) -> None:
    """Add the request metrics middleware to `app` (where it lands in the stack is the caller's)."""
    instrumentator = Instrumentator(
        should_group_status_codes=False,  # 413, 415 and 422 tell different stories
        should_ignore_untemplated=False,
        should_group_untemplated=True,  # random 404 paths all become handler="none"
        excluded_handlers=list(EXCLUDED_HANDLERS),
        registry=registry,
    )
    for instrumentation in (
        metrics.requests(registry=registry),
        metrics.latency(buckets=HTTP_SECONDS_BUCKETS, registry=registry),
        metrics.request_size(registry=registry),
        metrics.response_size(registry=registry),
    ):
        instrumentator.add(instrumentation)
    instrumentator.instrument(app)

"""What the request metrics cost per request, in process, with no network in the way.

    python benchmarks/http_metrics_ab.py

Compares a FastAPI app with no request metrics, with prometheus-fastapi-instrumentator
configured as sentimon had it, and with sentimon's own RequestMiddleware counting them
(no log line); each calls the ASGI app directly, 5 interleaved rounds of 4,000 requests, medians.
"""

import asyncio
import statistics
import sys
import time

from fastapi import FastAPI
from harness import asgi_post
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator, metrics

from sentimon.api.middleware import RequestMiddleware
from sentimon.observability.http_metrics import HttpMetrics
from sentimon.observability.metrics import HTTP_SECONDS_BUCKETS


def instrument_http(app, registry):
    """The instrumentator as sentimon configured it before HttpMetricsMiddleware."""
    instrumentator = Instrumentator(
        should_group_status_codes=False,
        should_group_untemplated=True,
        excluded_handlers=[r"^/(metrics|healthz|readyz)$"],
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


def make(kind):
    app = FastAPI()

    @app.post("/predict")
    async def predict():
        return {"ok": 1}

    reg = CollectorRegistry()
    if kind == "old":
        instrument_http(app, reg)
    elif kind == "new":
        app.add_middleware(RequestMiddleware, metrics=HttpMetrics(reg))
    return app


async def bench(app, n=4000):
    for _ in range(300):
        await asgi_post(app)
    t = time.perf_counter()
    for _ in range(n):
        await asgi_post(app)
    return (time.perf_counter() - t) / n * 1e6


async def main():
    apps = {k: make(k) for k in ("none", "old", "new")}
    res = {k: [] for k in apps}
    for _ in range(5):
        for k, a in apps.items():
            res[k].append(await bench(a))
    base = statistics.median(res["none"])
    for k, v in res.items():
        cost = statistics.median(v)
        sys.stdout.write(f"{k:5} {cost:6.1f} µs/request (+{cost - base:.1f})\n")


asyncio.run(main())

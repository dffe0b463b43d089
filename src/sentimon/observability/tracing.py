"""Spans over OTLP, only when asked for: OTEL_EXPORTER_OTLP_ENDPOINT (or its traces-only
twin) set, and the OpenTelemetry SDK and OTLP/HTTP exporter installed
(`pip install 'sentimon[otlp]'`). Unset, nothing here is imported and no request pays
for tracing.

The SDK reads every other OTEL_* variable itself (OTEL_SERVICE_NAME, headers,
OTEL_BSP_SCHEDULE_DELAY, ...). A request that brings a W3C traceparent continues that
trace, so its spans carry the trace id its log lines and exemplars show.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
DEFAULT_SERVICE_NAME = "sentimon"

_started = False  # one tracer provider per process: OpenTelemetry refuses a second


def otlp_endpoint() -> str | None:
    return next((os.environ[v] for v in ENDPOINT_VARIABLES if os.environ.get(v)), None)


def start_otlp_export() -> bool:
    """Install a tracer provider that exports over OTLP/HTTP, once per process; whether
    spans are exported (False, and one warning, when the SDK is missing)."""
    global _started
    endpoint = otlp_endpoint()
    if endpoint is None:
        return False
    if _started:
        return True
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        logger.warning(
            "OTLP endpoint %s is set, but the OpenTelemetry SDK or its OTLP exporter is not "
            "installed (pip install 'sentimon[otlp]'): no spans are exported (%s)",
            endpoint,
            exc,
        )
        return False
    name = os.environ.get("OTEL_SERVICE_NAME", DEFAULT_SERVICE_NAME)
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _started = True
    logger.info("exporting spans over OTLP to %s as service %s", endpoint, name)
    return True

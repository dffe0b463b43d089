"""/metrics as both Prometheus 2.42 and 3.x scrape it (docs/compose.md#prometheus-3): a
Content-Type Prometheus 3 recognises (it fails a scrape whose type is missing or unknown,
where 2 read anything as its text format), and names that need no UTF-8 support (2.42
fails the whole scrape on one it cannot read). The `le` values: tests/deploy/test_prometheus3.py."""

from __future__ import annotations

import re
from email.message import Message

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from sentimon.api.app import create_app
from sentimon.observability.exposition import MetricsExposition
from sentimon.settings import Settings

pytestmark = pytest.mark.anyio

# The media types Prometheus 3 parses, and the text format versions it knows.
PROMETHEUS3_MEDIA_TYPES = {
    "text/plain",
    "application/openmetrics-text",
    "application/vnd.google.protobuf",
}
TEXT_VERSIONS = {"0.0.4", "1.0.0"}
LEGACY_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LEGACY_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def _assert_prometheus_reads(content_type: str) -> None:
    header = Message()
    header["content-type"] = content_type
    # Message falls back to text/plain for a missing or broken type: compare the literal one.
    assert content_type.split(";")[0].strip().lower() == header.get_content_type()
    assert header.get_content_type() in PROMETHEUS3_MEDIA_TYPES, content_type
    if header.get_content_type() == "text/plain":
        assert header.get_param("version") in TEXT_VERSIONS, content_type


@pytest.fixture(scope="module")
async def scrape() -> httpx.Response:
    """/metrics after one prediction, so that every labelled family has its series."""
    app = create_app(Settings(log_dir=None, access_log=False, feedback_key="k" * 40))
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        app.router.lifespan_context(app),
    ):
        (await client.post("/predict", json={"text": "a fine day"})).raise_for_status()
        return await client.get("/metrics")


async def test_metrics_names_a_content_type_both_versions_parse(scrape):
    assert scrape.status_code == 200
    _assert_prometheus_reads(scrape.headers["content-type"])


def test_every_worker_mode_names_a_content_type_both_versions_parse(tmp_path):
    """--workers N renders through prometheus_client's multiprocess mode instead."""
    _body, content_type = MetricsExposition(CollectorRegistry(), tmp_path).render()
    _assert_prometheus_reads(content_type)


async def test_every_name_is_valid_without_utf8_support(scrape):
    families = list(text_string_to_metric_families(scrape.text))
    assert {"model_confidence", "http_request_duration_seconds"} <= {f.name for f in families}
    for family in families:
        for sample in family.samples:
            assert LEGACY_METRIC_NAME.fullmatch(sample.name), sample.name
            for label in sample.labels:
                assert LEGACY_LABEL_NAME.fullmatch(label), (sample.name, label)

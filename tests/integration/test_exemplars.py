"""Exemplars and trace context on a real `sentimon serve`, with one worker and with two:
the request ids on the latency buckets in the OpenMetrics exposition, no series added,
and a W3C traceparent's trace id in the response, the log line and the exemplar."""

from __future__ import annotations

import json
import re

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from servers import wait_until

OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
HISTOGRAMS = ("http_request_duration_seconds", "model_inference_duration_seconds")


def _exemplars(text: str) -> dict[str, list[dict]]:
    """Histogram name → the labels of every exemplar on its buckets."""
    found: dict[str, list[dict]] = {name: [] for name in HISTOGRAMS}
    for family in text_string_to_metric_families(text):
        if family.name in found:
            found[family.name] += [s.exemplar.labels for s in family.samples if s.exemplar]
    return found


def _series(text: str) -> set[str]:
    """Every series of an exposition, exemplars and comments left out."""
    lines = (line.split(" # ")[0] for line in text.splitlines() if not line.startswith("#"))
    return {re.sub(r" [^ ]+$", "", line) for line in lines if line}


def _log_lines(server) -> list[dict]:
    lines = []
    for path in sorted((server.workdir / "logs").glob("sentimon*.log")):
        lines += [json.loads(line) for line in path.read_text().splitlines() if line]
    return lines


@pytest.mark.parametrize("workers", [1, 2])
def test_both_histograms_carry_the_request_ids_without_a_series_more(api_factory, workers):
    server = api_factory({}, ["--workers", str(workers)] if workers > 1 else None)
    with server.client() as client:
        ids = [f"exemplar-{workers}-{i}" for i in range(40)]
        for request_id in ids:
            response = client.post(
                "/predict",
                json={"text": "the room was lovely"},
                headers={"x-request-id": request_id},
            )
            assert response.status_code == 200
            assert "x-trace-id" not in response.headers  # none invented without a traceparent

        def scraped() -> dict[str, list[dict]] | None:
            found = _exemplars(client.get("/metrics", headers={"accept": OPENMETRICS}).text)
            return found if all(found.values()) else None

        # Several workers write theirs about once a second.
        found = wait_until(scraped, 10, "exemplars on both histograms", 0.5)
        for name, labels in found.items():
            assert {label["request_id"] for label in labels} <= set(ids), name
            assert all(set(label) == {"request_id"} for label in labels), name
        openmetrics = client.get("/metrics", headers={"accept": OPENMETRICS})
        plain = client.get("/metrics")
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert plain.headers["content-type"].startswith("text/plain")
    assert " # {" not in plain.text  # the text format has no exemplars
    # OpenMetrics names counters' samples as the text format does here (_total), and adds
    # nothing but exemplars and the closing line.
    series = _series(openmetrics.text) - {"# EOF"}
    assert series - _series(plain.text) == set()


def test_a_traceparent_is_in_the_response_the_log_line_and_the_exemplar(api_factory):
    server = api_factory()
    with server.client() as client:
        response = client.post(
            "/predict",
            json={"text": "a slow and rude service"},
            headers={"traceparent": TRACEPARENT, "x-request-id": "traced-1"},
        )
        assert response.headers["x-trace-id"] == TRACE_ID
        assert response.headers["x-request-id"] == "traced-1"
        exemplars = _exemplars(client.get("/metrics", headers={"accept": OPENMETRICS}).text)
    for name in HISTOGRAMS:
        assert {"request_id": "traced-1", "trace_id": TRACE_ID} in exemplars[name], name

    def access_line() -> dict | None:
        lines = [r for r in _log_lines(server) if r.get("request_id") == "traced-1"]
        return next((r for r in lines if r.get("path") == "/predict"), None)

    line = wait_until(access_line, 10, "the traced request's access line")
    assert line["trace_id"] == TRACE_ID


@pytest.mark.parametrize(
    "traceparent",
    [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero parent
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper case
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  # 00 has 4 fields
        "not a traceparent",
    ],
)
def test_a_malformed_traceparent_is_ignored(api, traceparent):
    with api.client() as client:
        response = client.post(
            "/predict", json={"text": "fine"}, headers={"traceparent": traceparent}
        )
    assert response.status_code == 200
    assert "x-trace-id" not in response.headers


def test_a_later_traceparent_version_with_more_fields_is_accepted(api):
    with api.client() as client:
        response = client.post(
            "/predict",
            json={"text": "fine"},
            headers={"traceparent": f"01-{TRACE_ID}-00f067aa0ba902b7-01-future"},
        )
    assert response.headers["x-trace-id"] == TRACE_ID

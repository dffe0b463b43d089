"""The console's API in process: a fixed catalogue, read-only, honest about its sources."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi import FastAPI

from sentimon.api.middleware import _VALID_REQUEST_ID
from sentimon.console.app import create_console_app
from sentimon.console.charts import BY_ID, CHARTS, RANGES
from sentimon.console.request_logs import MAX_LINES, REQUEST_ID
from sentimon.console.settings import ConsoleSettings
from sentimon.observability.exemplars import HISTOGRAM_LABELS
from sentimon.stack.layout import Layout
from sentimon.stack.settings import StackSettings

PROMETHEUS = "http://prometheus.test:9090"
ALERTMANAGER = "http://alertmanager.test:9093"
VENDOR = Path(__file__).resolve().parents[2] / "src/sentimon/console/static/vendor/uplot"


class ConsoleClient:
    """Each call runs the app in process through its lifespan (httpx's ASGI transport)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        async def run() -> httpx.Response:
            async with self.app.router.lifespan_context(self.app):
                transport = httpx.ASGITransport(app=self.app)
                async with httpx.AsyncClient(transport=transport, base_url="http://c") as c:
                    return await c.request(method, path, **kwargs)

        return asyncio.run(run())

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)


class FakeServers:
    """Answers for Prometheus and Alertmanager, and remembers every query asked."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.alerts: list[dict] = []
        self.exemplars: list[dict] = []
        self.exemplar_windows: list[tuple[float, float]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = urlparse(str(request.url))
        if url.netloc == "alertmanager.test:9093" and url.path == "/api/v2/alerts":
            return httpx.Response(200, json=self.alerts)
        if url.netloc != "prometheus.test:9090":
            raise httpx.ConnectError("nothing listens there", request=request)
        params = parse_qs(url.query)
        self.queries.append(params["query"][0])
        if url.path == "/api/v1/query_exemplars":
            self.exemplar_windows.append((float(params["start"][0]), float(params["end"][0])))
            return httpx.Response(200, json={"status": "success", "data": self.exemplars})
        if url.path == "/api/v1/query_range":
            start, step = int(params["start"][0]), int(params["step"][0])
            values = [[start + step, "0.5"], [start + 2 * step, "NaN"]]
            result = [{"metric": {"status": "200", "instance": "a"}, "values": values}]
            return httpx.Response(200, json={"data": {"resultType": "matrix", "result": result}})
        cumulative = {"0.5": 2, "0.9": 5, "1.0": 9, "+Inf": 9}
        at = float(params["time"][0])
        result = [{"metric": {"le": le}, "value": [at, str(n)]} for le, n in cumulative.items()]
        return httpx.Response(200, json={"data": {"resultType": "vector", "result": result}})


@pytest.fixture
def servers() -> FakeServers:
    return FakeServers()


@pytest.fixture
def client(servers, tmp_path):
    settings = ConsoleSettings(
        prometheus_url=PROMETHEUS,
        alertmanager_url=ALERTMANAGER,
        grafana_url="http://grafana.test:3000",
    )
    stack = StackSettings(state_dir=tmp_path / "state")
    return ConsoleClient(
        create_console_app(settings, stack, transport=httpx.MockTransport(servers))
    )


def test_the_catalogue_is_fixed():
    assert [c.id for c in CHARTS] == [
        "requests", "errors", "latency", "inference", "confidence", "mean_confidence",
        "predictions", "accuracy", "drift", "cpu", "memory", "disk", "network",
    ]  # fmt: skip
    assert list(RANGES) == ["15m", "1h", "6h"]


def test_what_the_console_runs_is_concrete():
    for chart in CHARTS:
        for time_range in RANGES.values():
            for query in chart.concrete(time_range, scrape_seconds=15):
                assert "$" not in query.expr, (chart.id, query.expr)
                assert "job=" in query.expr  # never every job's series by accident


def test_a_chart_runs_only_its_own_queries_whatever_the_request_adds(client, servers):
    response = client.get("/api/charts/requests", params={"range": "15m", "query": "up"})
    assert response.status_code == 200
    expected = [q.expr for q in BY_ID["requests"].concrete(RANGES["15m"], 15)]
    assert servers.queries == expected
    data = response.json()
    assert data["series"] == [
        {"label": "200", "values": [None, 0.5, None] + [None] * (len(data["x"]) - 3)}
    ]  # NaN is a gap, not a number
    assert data["x"][1] - data["x"][0] == RANGES["15m"].step_seconds


def test_a_histogram_chart_counts_per_band(client):
    data = client.get("/api/charts/confidence", params={"range": "1h"}).json()
    assert data["x"] == [0.5, 0.9, 1.0]
    assert data["series"][0]["values"] == [2, 3, 4]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/charts/no_such_chart", 404),
        ("/api/charts/up%7Bjob%3D%22x%22%7D", 404),
        ("/api/charts/requests?range=2d", 422),
        ("/api/charts/requests?range=", 422),
        ("/api/query?query=up", 404),
    ],
)
def test_anything_outside_the_catalogue_is_refused(client, servers, path, status):
    assert client.get(path).status_code == status
    assert servers.queries == []


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_the_console_is_read_only(client, method):
    for path in ("/", "/api/charts", "/api/charts/requests", "/api/alerts"):
        assert client.request(method, path).status_code == 405


def test_an_unreachable_server_is_named(tmp_path):
    settings = ConsoleSettings(
        prometheus_url="http://127.0.0.1:9", alertmanager_url="http://127.0.0.1:9"
    )

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app = create_console_app(
        settings, StackSettings(state_dir=tmp_path), transport=httpx.MockTransport(refuse)
    )
    client = ConsoleClient(app)
    chart, alerts = client.get("/api/charts/cpu"), client.get("/api/alerts")
    assert chart.status_code == alerts.status_code == 502
    assert chart.json()["error"].startswith("Prometheus at http://127.0.0.1:9 is unreachable")
    assert alerts.json()["error"].startswith("Alertmanager at http://127.0.0.1:9 is unreachable")


def test_alerts_are_listed_most_severe_first(client, servers):
    servers.alerts = [
        {
            "labels": {"alertname": name, "severity": severity, "instance": "a"},
            "annotations": {"summary": f"{name} summary"},
            "status": {"state": state, "inhibitedBy": inhibited},
            "startsAt": "2026-01-01T00:00:00Z",
        }
        for name, severity, state, inhibited in [
            ("HighErrorRate", "warning", "suppressed", ["x"]),
            ("TargetDown", "critical", "active", []),
        ]
    ]
    alerts = client.get("/api/alerts").json()["alerts"]
    assert [(a["name"], a["severity"], a["state"]) for a in alerts] == [
        ("TargetDown", "critical", "active"),
        ("HighErrorRate", "warning", "inhibited"),
    ]
    assert alerts[0]["labels"] == {"instance": "a"}


def test_components_and_grafana_links(client):
    body = client.get("/api/components").json()
    names = [c["name"] for c in body["components"]]
    assert {"sentimon", "prometheus", "alertmanager", "console"} <= set(names)
    assert body["grafana"]["up"] is False  # nothing answers at grafana.test
    uids = {d["stem"]: d["url"] for d in body["grafana"]["dashboards"]}
    assert uids["model"] == "http://grafana.test:3000/d/sentimon-model"
    assert {c["dashboard"] for c in client.get("/api/charts").json()["charts"]} <= set(uids)


def test_the_page_and_every_response_carry_the_security_headers(client):
    page = client.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy and "unsafe" not in policy  # no remote or inline sources
    for response in (page, client.get("/api/charts"), client.get("/static/console.js")):
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in client.get("/api/charts").headers["cache-control"]
    assert "//" not in page.text.replace("<!doctype", "")  # nothing loaded from elsewhere


def test_the_vendored_charting_library_is_what_its_version_file_says():
    lines = (VENDOR / "VERSION").read_text().splitlines()
    assert lines[0].startswith("uplot 1.6.32 from the npm registry")
    for line in lines[1:]:
        digest, name = line.split()
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert (
        "MIT" in (VENDOR / "LICENSE").read_text()
        or "Permission is hereby granted" in (VENDOR / "LICENSE").read_text()
    )


# ---- a clicked point: its slowest requests and their log lines ---------------------

AT = 1_796_666_000.0


def _exemplar(request_id: str, seconds: float, **labels: str) -> dict:
    return {"labels": {"request_id": request_id, **labels}, "value": str(seconds),
            "timestamp": AT - 30 + seconds}  # fmt: skip


def test_only_the_latency_and_inference_charts_list_requests_of_histograms_with_exemplars():
    listed = {c.id: c.exemplar_selector() for c in CHARTS if c.exemplars}
    assert listed == {
        "latency": 'http_request_duration_seconds_bucket{job="sentimon"}',
        "inference": 'model_inference_duration_seconds_bucket{job="sentimon"}',
    }
    assert {c.exemplars for c in CHARTS if c.exemplars} <= set(HISTOGRAM_LABELS)


def test_a_click_lists_the_ten_slowest_requests_of_that_minute(client, servers):
    route = {"handler": "/predict", "method": "POST", "status": "200", "job": "sentimon"}
    servers.exemplars = [
        {"seriesLabels": {**route, "le": "0.1"},
         "exemplars": [_exemplar(f"fast-{i}", 0.01 * (i + 1)) for i in range(9)]},
        {"seriesLabels": {**route, "status": "500", "le": "2.5"},
         "exemplars": [_exemplar("slow", 1.5, trace_id="ab" * 16), _exemplar("slower", 2.0)]},
    ]  # fmt: skip
    response = client.get("/api/requests", params={"chart": "latency", "at": AT, "query": "up"})
    assert response.status_code == 200
    body = response.json()
    assert servers.queries == [BY_ID["latency"].exemplar_selector()]  # never the browser's
    assert servers.exemplar_windows == [(AT - 60, AT)]
    assert (body["from"], body["to"]) == (AT - 60, AT)
    requests = body["requests"]
    assert [r["request_id"] for r in requests] == ["slower", "slow"] + [
        f"fast-{i}" for i in range(8, 0, -1)
    ]  # slowest first, ten at most: fast-0 is left out
    assert requests[1] == {
        "request_id": "slow", "trace_id": "ab" * 16, "seconds": 1.5, "timestamp": AT - 28.5,
        "status": "500", "route": "/predict", "method": "POST", "detail": "",
    }  # fmt: skip


def test_an_inference_request_names_its_model_and_device(client, servers):
    labels = {"model": "sst2", "version": "1", "device": "cpu", "le": "0.05"}
    servers.exemplars = [{"seriesLabels": labels, "exemplars": [_exemplar("r1", 0.02)]}]
    (request,) = client.get("/api/requests", params={"chart": "inference", "at": AT}).json()[
        "requests"
    ]
    assert (request["route"], request["status"]) == (None, None)
    assert request["detail"] == "model=sst2 version=1 device=cpu"


def test_a_minute_without_exemplars_lists_nothing(client, servers):
    body = client.get("/api/requests", params={"chart": "latency", "at": AT}).json()
    assert body["requests"] == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"chart": "no_such_chart", "at": AT}, 404),
        ({"chart": "cpu", "at": AT}, 404),  # no histogram behind it
        ({"chart": 'up{job="x"}', "at": AT}, 404),
        ({"chart": "latency"}, 422),
        ({"chart": "latency", "at": "yesterday"}, 422),
        ({"chart": "latency", "at": -5}, 422),
        ({"chart": "latency", "at": "inf"}, 422),
    ],
)
def test_requests_of_anything_but_those_charts_are_refused(client, servers, params, status):
    response = client.get("/api/requests", params=params)
    assert response.status_code == status
    if status == 404:
        assert response.json()["error"].endswith("charts: latency, inference")
    assert servers.queries == []


def test_requests_say_when_prometheus_is_unreachable(tmp_path):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    app = create_console_app(
        ConsoleSettings(prometheus_url="http://127.0.0.1:9"),
        StackSettings(state_dir=tmp_path),
        transport=httpx.MockTransport(refuse),
    )
    response = ConsoleClient(app).get("/api/requests", params={"chart": "latency", "at": AT})
    assert response.status_code == 502
    assert response.json()["error"] == (
        "Prometheus at http://127.0.0.1:9 is unreachable (ConnectError: connection refused)"
    )


def test_the_request_id_pattern_is_the_apis():
    assert REQUEST_ID.pattern == _VALID_REQUEST_ID.pattern.decode()


def _log(path: Path, *lines: tuple[str, str | None, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {"ts": f"2026-12-07T17:02:{second}Z", "level": "INFO", "message": message}
        | ({"request_id": request_id} if request_id else {})
        for second, request_id, message in lines
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n")


def test_a_requests_log_lines_come_from_every_file_in_time_order(client, tmp_path):
    logs = Layout(tmp_path / "state").api_log_dir
    _log(logs / "sentimon.log.1", ("01.000", "req-1", "received"), ("02.000", "other", "x"))
    _log(logs / "sentimon.log", ("05.000", "req-1", "answered"))
    _log(logs / "sentimon-4242.log", ("03.500", "req-1", "in a worker"))
    response = client.get("/api/logs", params={"request_id": "req-1"})
    assert response.status_code == 200
    body = response.json()
    assert [line["message"] for line in body["lines"]] == ["received", "in a worker", "answered"]
    assert {line["request_id"] for line in body["lines"]} == {"req-1"}
    assert body["truncated"] is False
    assert client.get("/api/logs", params={"request_id": "nobody"}).json()["lines"] == []


def test_a_request_with_too_many_log_lines_shows_the_first_ones(client, tmp_path):
    lines = [(f"{i // 100:02d}.{i % 100:03d}", "busy", f"line {i}") for i in range(MAX_LINES + 5)]
    _log(Layout(tmp_path / "state").api_log_dir / "sentimon.log", *lines)
    body = client.get("/api/logs", params={"request_id": "busy"}).json()
    assert len(body["lines"]) == MAX_LINES and body["truncated"] is True
    assert body["lines"][0]["message"] == "line 0"


@pytest.mark.parametrize("request_id", ["", "a b", "../etc/passwd", "x" * 129, "é"])
def test_a_request_id_the_api_would_not_accept_is_refused(client, request_id):
    assert client.get("/api/logs", params={"request_id": request_id}).status_code == 422


def test_logs_say_where_no_log_directory_is(client, tmp_path):
    response = client.get("/api/logs", params={"request_id": "req-1"})
    assert response.status_code == 404
    assert str(Layout(tmp_path / "state").api_log_dir) in response.json()["error"]


def test_the_log_directory_can_be_named(servers, tmp_path):
    _log(tmp_path / "elsewhere" / "sentimon.log", ("01.000", "req-1", "here"))
    settings = ConsoleSettings(log_dir=tmp_path / "elsewhere")
    app = create_console_app(settings, StackSettings(state_dir=tmp_path / "state"))
    lines = ConsoleClient(app).get("/api/logs", params={"request_id": "req-1"}).json()["lines"]
    assert [line["message"] for line in lines] == ["here"]

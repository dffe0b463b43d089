"""Fault injection, custom limits and graceful shutdown, each on its own server."""

import json
import signal
import socket
import threading
import time

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families
from servers import wait_until


def test_injected_error_is_a_real_500_with_json_and_request_id(api_factory):
    api = api_factory({"SENTIMON_FAULT_INJECTION": "1"})
    with api.client() as c:
        r = c.post(
            "/predict",
            json={"text": "hi"},
            headers={"x-inject-fault": "error", "x-request-id": "fault-1"},
        )
        assert r.status_code == 500
        assert r.headers["x-request-id"] == "fault-1"
        assert r.json() == {
            "error": {"type": "internal_error", "message": "internal server error"},
            "request_id": "fault-1",
        }
        # The service keeps serving.
        assert c.post("/predict", json={"text": "hi"}).status_code == 200
        assert c.get("/readyz").status_code == 200
    assert "InjectedFault" in api.stderr()


def test_injected_slowness_adds_the_configured_latency(api_factory):
    api = api_factory({"SENTIMON_FAULT_INJECTION": "1", "SENTIMON_FAULT_SLOW_SECONDS": "0.4"})
    with api.client() as c:
        start = time.perf_counter()
        r = c.post("/predict", json={"text": "hi"}, headers={"x-inject-fault": "slow"})
        assert r.status_code == 200
        assert time.perf_counter() - start >= 0.4


def test_limits_come_from_the_environment(api_factory):
    api = api_factory(
        {
            "SENTIMON_MAX_TEXT_CHARS": "10",
            "SENTIMON_MAX_BATCH": "2",
            "SENTIMON_MAX_BODY_BYTES": "2048",
        }
    )
    with api.client() as c:
        assert c.post("/predict", json={"text": "a" * 11}).status_code == 422
        assert c.post("/predict/batch", json={"texts": ["a", "b", "c"]}).status_code == 422
        assert c.post("/predict", json={"text": "a" * 3000}).status_code == 413
        assert c.post("/predict", json={"text": "a" * 10}).status_code == 200


def test_sigterm_lets_in_flight_requests_finish_and_refuses_new_ones(api_factory):
    api = api_factory({"SENTIMON_FAULT_INJECTION": "1", "SENTIMON_FAULT_SLOW_SECONDS": "2"})
    result: dict = {}

    def slow_request() -> None:
        with api.client() as c:
            result["response"] = c.post(
                "/predict", json={"text": "hi"}, headers={"x-inject-fault": "slow"}
            )

    worker = threading.Thread(target=slow_request)
    worker.start()
    time.sleep(0.5)  # the slow request is in flight
    api.process.send_signal(signal.SIGTERM)

    # New requests are refused: the listener closes (connection refused) or /readyz says 503.
    def refused() -> bool:
        try:
            return httpx.get(f"{api.url}/readyz", timeout=1).status_code == 503
        except httpx.TransportError:
            return True

    wait_until(refused, 5, "new requests to be refused after SIGTERM")
    assert api.process.poll() is None, "the server exited before the in-flight request finished"
    worker.join(10)
    assert result["response"].status_code == 200
    assert result["response"].json()["label"]
    # 128 + SIGTERM: the conventional status of a clean exit on that signal.
    assert api.process.wait(10) == 128 + signal.SIGTERM
    assert "SIGTERM received" in api.stderr()


@pytest.mark.parametrize("workers", ["2"])
def test_several_workers_serve(api_factory, workers):
    api = api_factory(args=["--workers", workers])
    with api.client() as c:
        for _ in range(10):
            assert c.post("/predict", json={"text": "great stuff"}).status_code == 200


def test_an_upload_the_client_abandons_is_a_499_not_a_server_error(api_factory):
    api = api_factory()
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nX-Request-ID: abandoned-1\r\n\r\n"
            b'8\r\n{"text":\r\n'
        )
        time.sleep(0.3)  # the server has the request and waits for the rest of the body
    # The connection closed with the body half sent.

    def counted() -> dict:
        text = httpx.get(f"{api.url}/metrics", timeout=10).text
        statuses = {
            sample.labels["status"]
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "http_requests_total"
        }
        return statuses or None

    assert wait_until(counted, 10, "the abandoned upload in /metrics") == {"499"}
    api.stop()
    lines = [json.loads(line) for line in api.stdout().splitlines() if line.startswith("{")]
    (line,) = [r for r in lines if r.get("request_id") == "abandoned-1"]
    assert line["status"] == 499 and line["level"] == "INFO" and line["client_closed"] is True
    assert "abandoned-1" not in api.stderr()  # no traceback, no warning


def _restarts(api) -> float:
    text = httpx.get(f"{api.url}/metrics", timeout=10).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return families["sentimon_worker_restarts"].samples[0].value


def _workers(api) -> list[psutil.Process]:
    children = psutil.Process(api.process.pid).children()
    return [p for p in children if "spawn_main" in " ".join(p.cmdline())]


def test_a_killed_worker_is_logged_at_warning_counted_and_replaced(api_factory):
    api = api_factory(args=["--workers", "2"])
    wait_until(lambda: len(_workers(api)) == 2, 10, "two workers")
    assert _restarts(api) == 0
    victim = _workers(api)[0]
    victim.send_signal(signal.SIGKILL)

    def warned() -> dict | None:
        for line in api.stderr().splitlines():
            record = json.loads(line) if line.startswith("{") else {}
            if record.get("worker_pid") == victim.pid:
                return record
        return None

    record = wait_until(warned, 15, "the supervisor to log the dead worker")
    assert record["level"] == "WARNING"
    assert f"worker {victim.pid} died (killed by SIGKILL)" in record["message"]
    with api.client() as c:  # the other worker keeps serving while the new one starts
        assert c.post("/predict", json={"text": "still here"}).status_code == 200
    wait_until(lambda: _restarts(api) == 1, 10, "the restart metric to rise")
    wait_until(lambda: len(_workers(api)) == 2, 30, "a replacement worker")
    assert victim.pid not in {p.pid for p in _workers(api)}

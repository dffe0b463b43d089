"""Metrics and logs of a real `sentimon serve`, checked against the traffic that was sent."""

import json
import os
import signal
import socket
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from servers import RSYSLOGD, start_rsyslog, wait_until

from sentimon.observability.log_sinks import RECOVERY_QUIET_SECONDS

FAULTS = {"SENTIMON_FAULT_INJECTION": "1"}


def scrape(server) -> dict[tuple[str, frozenset], float]:
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples, name) -> list[dict]:
    return [dict(labels) for (n, labels) in samples if n == name]


TEXTS = [
    "I love this phone, the camera is brilliant",
    "worst airline ever, lost my bag again",
    "the train leaves at nine tomorrow",
    "Absolutely delighted with the service today!",
]


def _send_known_traffic(client) -> dict:
    sent = {"labels": Counter(), "confidence_sum": 0.0, "predictions": 0}
    for i in range(12):
        body = client.post("/predict", json={"text": TEXTS[i % 4]}).json()
        sent["labels"][body["label"]] += 1
        sent["confidence_sum"] += body["confidence"]
    batch = client.post("/predict/batch", json={"texts": TEXTS}).json()["results"]
    for result in batch:
        sent["labels"][result["label"]] += 1
        sent["confidence_sum"] += result["confidence"]
    sent["predictions"] = 16
    for body in ({}, {"text": ""}, {"text": 5}):
        assert client.post("/predict", json=body).status_code == 422
    for _ in range(5):
        assert client.get(f"/scan/{uuid.uuid4().hex}").status_code == 404
    client.get("/healthz")
    client.get("/readyz")
    return sent


def _assert_counts_match(samples, sent) -> None:
    ok = {"handler": "/predict", "method": "POST"}
    assert value(samples, "http_requests_total", **ok, status="200") == 12
    assert value(samples, "http_requests_total", **ok, status="422") == 3
    assert (
        value(samples, "http_requests_total", handler="/predict/batch", method="POST", status="200")
        == 1
    )
    assert value(samples, "http_request_duration_seconds_count", **ok, status="200") == 12
    # Random paths are grouped, and probes and scrapes are not request traffic.
    assert value(samples, "http_requests_total", handler="none", method="GET", status="404") == 5
    handlers = {s["handler"] for s in series(samples, "http_requests_total")}
    assert handlers == {"/predict", "/predict/batch", "none"}
    (info,) = series(samples, "model_info")
    model = info["model"]
    for label, count in sent["labels"].items():
        assert value(samples, "model_predictions_total", model=model, label=label) == count
    conf = {"model": model, "version": info["version"]}
    assert value(samples, "model_confidence_count", **conf) == sent["predictions"]
    assert value(samples, "model_confidence_sum", **conf) == pytest.approx(
        sent["confidence_sum"], abs=1e-6
    )
    inference = series(samples, "model_inference_duration_seconds_count")
    assert len(inference) == 1 and inference[0]["device"] == "cpu"
    assert value(samples, "model_inference_duration_seconds_count", **inference[0]) == 13
    assert value(samples, "model_input_tokens_count", model=model) == 16
    assert value(samples, "model_ready") == 1
    assert value(samples, "log_messages_total", level="INFO") >= 12 + 1 + 3 + 5


def test_metrics_equal_the_traffic_sent(api_factory):
    api = api_factory()
    with api.client() as client:
        sent = _send_known_traffic(client)
    samples = scrape(api)
    _assert_counts_match(samples, sent)
    assert value(samples, "http_requests_inprogress") == 1  # the scrape itself
    assert value(samples, "process_resident_memory_bytes") > 0


def test_two_workers_sum_exactly(api_factory):
    api = api_factory(args=["--workers", "2"])

    # /readyz answered by one worker says nothing of the other: wait until both have
    # loaded the model (each then writes its own multiprocess files).
    def both_workers_seen():
        samples = scrape(api)
        return len({s["pid"] for s in series(samples, "process_resident_memory_bytes")}) == 2

    wait_until(both_workers_seen, 30, "both workers in /metrics", interval=0.2)
    # No keep-alive, so that requests spread over both workers.
    with api.client(limits=httpx.Limits(max_keepalive_connections=0)) as client:
        sent = _send_known_traffic(client)
    samples = scrape(api)
    _assert_counts_match(samples, sent)
    pids = {s["pid"] for s in series(samples, "process_resident_memory_bytes")}
    assert len(pids) == 2, "per-worker process metrics should name both workers"
    for pid in pids:
        assert value(samples, "process_resident_memory_bytes", pid=pid) > 10_000_000


@pytest.fixture
def rsyslog(tmp_path):
    if not os.path.exists(RSYSLOGD):
        pytest.skip("rsyslogd not installed (Debian package rsyslog; `make test` installs it)")
    server = start_rsyslog(tmp_path / "rsyslog")
    yield server
    server.stop()


def test_syslog_receives_warnings_and_errors_with_request_ids(api_factory, rsyslog):
    api = api_factory({**FAULTS, "SENTIMON_SYSLOG_ADDRESS": f"udp://127.0.0.1:{rsyslog.port}"})
    with api.client() as client:
        ok = client.post("/predict", json={"text": "nice"}, headers={"x-request-id": "syslog-ok-1"})
        assert ok.status_code == 200
        err = client.post(
            "/predict",
            json={"text": "nice"},
            headers={"x-request-id": "syslog-err-1", "x-inject-fault": "error"},
        )
        assert err.status_code == 500
    wait_until(lambda: rsyslog.text().count("syslog-err-1") >= 2, 10, "the error lines in syslog")
    lines = [line for line in rsyslog.text().splitlines() if "syslog-err-1" in line]
    records = [json.loads(line.split("sentimon: ", 1)[1]) for line in lines]
    assert {r["level"] for r in records} == {"ERROR", "WARNING"}
    assert any("InjectedFault" in r.get("exception", "") for r in records)
    assert "syslog-ok-1" not in rsyslog.text()  # INFO stays out of syslog


@pytest.mark.parametrize("address", ["udp://127.0.0.1:{port}", "{tmp}/no/such/socket"])
def test_unreachable_syslog_never_fails_a_request(api_factory, tmp_path, address):
    from servers import free_port

    api = api_factory(
        {**FAULTS, "SENTIMON_SYSLOG_ADDRESS": address.format(port=free_port(), tmp=tmp_path)}
    )
    with api.client() as client:
        for i in range(20):
            fault = {"x-inject-fault": "error"} if i % 2 else {}
            r = client.post("/predict", json={"text": "fine"}, headers=fault)
            assert r.status_code == (500 if fault else 200)
        assert client.get("/readyz").status_code == 200


def test_rotation_under_load_loses_no_line(api_factory):
    api = api_factory({"SENTIMON_LOG_MAX_BYTES": "4096", "SENTIMON_LOG_BACKUPS": "100000"})
    ids = [f"rot-{i:04d}" for i in range(400)]

    def send(request_id: str) -> int:
        with api.client() as client:
            return client.post(
                "/predict", json={"text": "load"}, headers={"x-request-id": request_id}
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, ids)) == {200}
    api.stop()  # flushes every queued line
    files = sorted((api.workdir / "logs").glob("sentimon.log*"))
    assert len(files) > 10, "the test should make the file rotate many times"
    seen = Counter()
    for path in files:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if record.get("logger") == "sentimon.access":
                seen[record["request_id"]] += 1
    assert {rid: seen[rid] for rid in ids} == dict.fromkeys(ids, 1)


def test_fault_traceback_goes_to_stderr_and_file_and_requests_to_stdout(api_factory):
    api = api_factory(FAULTS)
    with api.client() as client:
        client.post("/predict", json={"text": "hi"}, headers={"x-request-id": "calm-1"})
        client.post(
            "/predict",
            json={"text": "hi"},
            headers={"x-request-id": "boom-1", "x-inject-fault": "error"},
        )
    api.stop()

    def records(text: str) -> list[dict]:
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def traceback_of(recs) -> dict:
        (rec,) = [r for r in recs if r.get("request_id") == "boom-1" and r["level"] == "ERROR"]
        assert "Traceback (most recent call last)" in rec["exception"]
        assert "InjectedFault: fault injected by X-Inject-Fault: error" in rec["exception"]
        return rec

    traceback_of(records(api.stderr()))
    traceback_of(records((api.workdir / "logs" / "sentimon.log").read_text()))
    stdout = records(api.stdout())
    calm = [r for r in stdout if r.get("request_id") == "calm-1"]
    assert len(calm) == 1 and calm[0]["status"] == 200 and calm[0]["path"] == "/predict"
    assert calm[0]["label"] and calm[0]["text_chars"] == 2 and len(calm[0]["text_hash"]) == 12
    assert "text" not in calm[0]  # raw text only with SENTIMON_LOG_TEXT=1
    assert all(r["level"] != "DEBUG" for r in stdout)


def _stderr_records(api) -> list[dict]:
    return [json.loads(line) for line in api.stderr().splitlines() if line.startswith("{")]


def _sink_notices(api, sink: str) -> list[str]:
    """The outage and recovery lines the logging wrote to stderr about `sink`."""
    return [
        r["message"]
        for r in _stderr_records(api)
        if r.get("sink") == sink and r["logger"] == "sentimon.observability.logging"
    ]


def test_a_syslog_socket_nobody_reads_stalls_no_sink_and_no_shutdown(api_factory, tmp_path):
    # A unix datagram socket that exists but is never read: its queue fills after a
    # few warnings, and a blocking send would then stall every sink and the shutdown.
    path = tmp_path / "syslog.sock"
    syslog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    syslog.bind(str(path))
    try:
        api = api_factory({**FAULTS, "SENTIMON_SYSLOG_ADDRESS": str(path)})
        ids = [f"stuck-{i:03d}" for i in range(300)]
        with httpx.Client(base_url=api.url, timeout=5) as client:
            for i, request_id in enumerate(ids):
                fault = {"x-inject-fault": "error"} if i % 2 else {}
                r = client.post(
                    "/predict", json={"text": "fine"}, headers={"x-request-id": request_id, **fault}
                )
                assert r.status_code == (500 if fault else 200)
        log_file = api.workdir / "logs" / "sentimon.log"
        # While the service runs, not only once SIGTERM has flushed them.
        wait_until(lambda: ids[-1] in api.stdout(), 5, "the last request line on stdout")
        wait_until(lambda: ids[-1] in log_file.read_text(), 5, "the last request line in the file")
        samples = scrape(api)
        started = time.monotonic()
        assert api.stop() == 128 + signal.SIGTERM
        assert time.monotonic() - started < 5, "SIGTERM should complete within seconds"
    finally:
        syslog.close()
    stdout = {json.loads(line).get("request_id") for line in api.stdout().splitlines()}
    in_file = {json.loads(line).get("request_id") for line in log_file.read_text().splitlines()}
    assert set(ids) <= stdout and set(ids) <= in_file
    assert value(samples, "log_sink_failures_total", sink="syslog") > 0
    assert value(samples, "log_sink_failures_total", sink="file") == 0
    (outage,) = _sink_notices(api, "syslog")
    assert "log sink syslog is failing" in outage


def test_a_log_dir_that_fails_then_recovers_is_counted_and_reported_once_each(
    api_factory, tmp_path
):
    # The log directory's path is a plain file: nothing can be created in it, even as
    # root (who may write into a read-only directory).
    log_dir = tmp_path / "not-a-dir"
    log_dir.write_text("")
    api = api_factory({"SENTIMON_LOG_DIR": str(log_dir)})
    with api.client() as client:
        for i in range(20):
            assert client.post("/predict", json={"text": f"down {i}"}).status_code == 200
        wait_until(
            lambda: value(scrape(api), "log_sink_failures_total", sink="file") >= 20,
            5,
            "the file sink's failures counted",
        )
        log_dir.unlink()
        log_dir.mkdir()
        time.sleep(RECOVERY_QUIET_SECONDS + 0.5)
        for i in range(5):
            r = client.post("/predict", json={"text": "up"}, headers={"x-request-id": f"up-{i}"})
            assert r.status_code == 200
        log_file = log_dir / "sentimon.log"
        wait_until(lambda: log_file.exists() and "up-4" in log_file.read_text(), 5, "file lines")
        failures = value(scrape(api), "log_sink_failures_total", sink="file")
        wait_until(lambda: len(_sink_notices(api, "file")) == 2, 5, "the recovery line")
    outage, recovery = _sink_notices(api, "file")
    assert "log sink file is failing" in outage
    assert "log sink file works again" in recovery
    assert value(scrape(api), "log_sink_failures_total", sink="file") == failures
    assert value(scrape(api), "log_sink_failures_total", sink="stdout") == 0
    assert {f"up-{i}" for i in range(5)} <= {
        json.loads(line).get("request_id") for line in log_file.read_text().splitlines()
    }

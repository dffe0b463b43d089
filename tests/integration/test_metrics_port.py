"""/metrics on a port of its own (SENTIMON_METRICS_PORT): a real `sentimon serve` listening on
two ports in one server, with one worker and with two."""

import os
import socket
import subprocess
import sys

import httpx
import pytest
from servers import free_port, wait_until

PREDICT = {"text": "I love this phone"}
PREDICTIONS = 3


def _fresh_connections() -> httpx.Client:
    # One connection per request, so that with two workers each may take some of them.
    return httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def _assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["error"]["type"] == "not_found"


@pytest.mark.parametrize("workers", [1, 2])
def test_metrics_are_served_on_their_port_only(api_factory, workers):
    metrics_port = free_port()
    # On the command line: the workers, fresh interpreters, must learn it from `serve`.
    api = api_factory(args=["--workers", str(workers), "--metrics-port", str(metrics_port)])
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    with _fresh_connections() as client:
        for _ in range(PREDICTIONS):
            assert client.post(f"{api.url}/predict", json=PREDICT).status_code == 200

        def counted() -> bool:
            # Every worker shares the pooled counts, whichever one answers the scrape.
            response = client.get(metrics_url)
            assert response.status_code == 200, response.text
            sample = 'http_requests_total{handler="/predict",method="POST",status="200"}'
            return f"{sample} {float(PREDICTIONS)}" in response.text

        wait_until(counted, 10, "the predictions on the metrics port")
        # Repeated over fresh connections: with two workers, each must route as the other.
        for _ in range(3 * workers):
            assert counted()
            _assert_not_found(client.get(f"{api.url}/metrics"))
            _assert_not_found(
                client.post(metrics_url.replace("/metrics", "/predict"), json=PREDICT)
            )
            assert client.get(f"{api.url}/healthz").status_code == 200
        scrape = client.get(metrics_url).text

    # Scrapes, wherever they were sent, are neither traffic nor INFO lines.
    assert 'handler="/metrics"' not in scrape
    assert '"path":"/metrics"' not in api.stdout()
    assert f"metrics served on {metrics_url} only" in api.stdout()


def test_without_a_metrics_port_metrics_are_on_the_api_port(api):
    with api.client() as client:
        assert client.post("/predict", json=PREDICT).status_code == 200
        response = client.get("/metrics")
    assert response.status_code == 200
    assert 'http_requests_total{handler="/predict",method="POST",status="200"}' in response.text


def test_a_metrics_port_in_use_stops_the_start_with_its_reason(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        metrics_port = taken.getsockname()[1]
        env = {**os.environ, "SENTIMON_LOG_DIR": "", "SENTIMON_METRICS_PORT": str(metrics_port)}
        result = subprocess.run(
            [sys.executable, "-m", "sentimon", "serve", "--port", str(free_port())],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 3  # uvicorn's STARTUP_FAILURE
    assert f"cannot serve metrics on http://127.0.0.1:{metrics_port}" in result.stderr

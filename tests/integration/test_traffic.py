"""`sentimon traffic` as a subprocess against a real API with fault injection on."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from servers import ApiServer, free_port, start_api, wait_until

SLOW_SECONDS = 0.2


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[ApiServer]:
    server = start_api(
        tmp_path_factory.mktemp("traffic-api"),
        env={"SENTIMON_FAULT_INJECTION": "1", "SENTIMON_FAULT_SLOW_SECONDS": str(SLOW_SECONDS)},
    )
    yield server
    server.stop()


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sentimon", "traffic", *args]


def _traffic(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(_command(*args), capture_output=True, text=True, timeout=60)


def _summary(result: subprocess.CompletedProcess) -> dict:
    """The one JSON object --json prints; anything else on stdout fails the test."""
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    return json.loads(line)


def _request_counts(api: ApiServer) -> dict[tuple[str, str], float]:
    """http_requests_total of POST requests by (handler, status), from the API's /metrics."""
    text = httpx.get(f"{api.url}/metrics", timeout=5).text
    return {
        (s.labels["handler"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "http_requests"
        for s in family.samples
        if s.name == "http_requests_total" and s.labels.get("method") == "POST"
    }


def _predict_counts(api: ApiServer) -> dict[str, float]:
    """http_requests_total of POST /predict by status."""
    return {
        status: n for (handler, status), n in _request_counts(api).items() if handler == "/predict"
    }


def _rise(before: dict, after: dict) -> dict:
    """What each counter rose by, those that did not left out."""
    return {key: n - before.get(key, 0) for key, n in after.items() if n != before.get(key, 0)}


def _feedback_counts(api: ApiServer) -> dict[str, float]:
    """model_feedback_total summed by its `correct` label, from the API's own /metrics."""
    text = httpx.get(f"{api.url}/metrics", timeout=5).text
    counts = {"true": 0.0, "false": 0.0}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "model_feedback_total":
                counts[s.labels["correct"]] += s.value
    return counts


def _feedback_rise(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {correct: after[correct] - before[correct] for correct in before}


def test_errors_give_the_asked_share_of_5xx_in_the_summary_and_in_metrics(api):
    before = _predict_counts(api)
    args = ["--scenario", "errors:3", "--rps", "40", "--error-rate", "70", "--seed", "7"]
    summary = _summary(_traffic("--url", api.url, "--json", *args))
    total = summary["total"]
    assert total["sent"] == total["responses"] == 120
    assert total["share_5xx"] == pytest.approx(0.70, abs=0.12)
    assert total["status"]["500"] == total["injected_errors"] == total["faults_asked"]["error"]
    assert not any("injected errors" in w for w in summary["warnings"])
    # The API counted exactly what the generator saw.
    after = _predict_counts(api)
    for status, n in total["status"].items():
        assert after.get(status, 0) - before.get(status, 0) == n


def test_normal_traffic_gets_only_200s_at_the_asked_rate(api):
    summary = _summary(
        _traffic("--url", api.url, "--json", "--scenario", "normal:2", "--rps", "25")
    )
    (phase,) = summary["phases"]
    assert phase["scenario"] == "normal"
    assert phase["status"] == {"200": 50}
    assert phase["transport_errors"] == {} and phase["skipped"] == 0
    assert phase["achieved_rps"] == pytest.approx(25, rel=0.1)
    assert phase["latency_ms"]["count"] == 50


def test_slow_requests_take_at_least_the_injected_latency(api):
    summary = _summary(
        _traffic("--url", api.url, "--json", "--scenario", "slow:1.5", "--rps", "10")
    )
    total = summary["total"]
    assert total["status"] == {"200": 15}
    assert total["latency_ms"]["min"] >= SLOW_SECONDS * 1000
    assert total["faults_asked"] == {"slow": 15}


def test_an_unreachable_api_exits_1_with_a_clear_message():
    url = f"http://127.0.0.1:{free_port()}"
    result = _traffic("--url", url, "--scenario", "normal:1", "--rps", "5")
    assert result.returncode == 1
    assert f"no request succeeded (5 x ConnectError): is the API running at {url}?" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert "ConnectError:5" in result.stdout  # the summary table still prints


@pytest.mark.parametrize("json_output", [False, True], ids=["table", "json"])
def test_ctrl_c_prints_the_summary_and_exits_130(api, json_output):
    args = ["--url", api.url, "--scenario", "normal:30", "--rps", "20"]
    process = subprocess.Popen(
        _command(*args, *(["--json"] if json_output else [])),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Shells start background jobs with SIGINT ignored, and children inherit that;
        # a user's terminal delivers Ctrl-C to a default handler.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    before = _predict_counts(api).get("200", 0)
    try:
        # Interrupt once requests are flowing, however long the interpreter took to start.
        wait_until(lambda: _predict_counts(api).get("200", 0) >= before + 10, 30, "traffic")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    if json_output:
        summary = json.loads(stdout)
        assert summary["interrupted"] is True
        assert summary["total"]["status"]["200"] > 0
        assert summary["total"]["elapsed_seconds"] < 10
    else:
        assert "interrupted" in stdout
        assert "total" in stdout and "200:" in stdout


def test_feedback_on_every_normal_prediction_reaches_the_api_metric(api):
    before = _feedback_counts(api)
    args = ["--scenario", "normal:2", "--rps", "25", "--feedback", "100", "--seed", "3"]
    total = _summary(_traffic("--url", api.url, "--json", *args))["total"]
    feedback = total["feedback"]
    assert total["status"] == {"200": 50}
    # One feedback per text: a batch of the --endpoints mix asks for several.
    assert feedback["asked"] == feedback["sent"] == feedback["accepted"] >= 50
    assert feedback["refused"] == {} and feedback["no_token"] == 0
    rise = _feedback_rise(before, _feedback_counts(api))
    assert rise == {
        "true": feedback["correct"],
        "false": feedback["accepted"] - feedback["correct"],
    }
    assert feedback["accuracy"] >= 0.8  # the model is right about everyday feedback


def test_world_change_feedback_shows_the_model_mostly_wrong(api):
    before = _feedback_counts(api)
    args = ["--scenario", "world-change:3", "--rps", "30", "--feedback", "50", "--seed", "5"]
    summary = _summary(_traffic("--url", api.url, "--json", *args))
    (phase,) = summary["phases"]
    feedback = phase["feedback"]
    assert phase["status"] == {"200": 90}
    assert 20 <= feedback["accepted"] == feedback["sent"] == feedback["asked"] <= 70
    # A loaded CI machine may make the client late ("fell behind"); that is pacing,
    # not feedback, and the statuses above already hold every request.
    assert [w for w in summary["warnings"] if "fell behind" not in w] == []
    rise = _feedback_rise(before, _feedback_counts(api))
    assert rise["true"] + rise["false"] == feedback["accepted"]
    assert rise["true"] == feedback["correct"]
    # The shipped model reads 36 % of the pool right (world_change.txt): mostly wrong.
    assert rise["false"] > 1.5 * rise["true"]


def test_bad_input_gets_the_4xx_each_kind_expects_and_no_warning(api):
    before = _request_counts(api)
    args = ["--scenario", "normal:3", "--rps", "40", "--bad-input", "30", "--seed", "13"]
    result = _traffic("--url", api.url, "--json", *args)
    summary = _summary(result)  # exit 0: refused bad input is what was asked for
    total, bad = summary["total"], summary["total"]["bad_input"]
    # 120 are due; on a loaded machine a few may be skipped (--concurrency in flight).
    sent = total["sent"]
    assert total["responses"] == sent and sent + total["skipped"] == 120 and sent >= 100
    assert 0.2 * sent <= bad["sent"] <= 0.4 * sent  # 30%, drawn with the seed
    assert set(bad["kinds"]) == {
        "empty-text",
        "too-long",
        "missing-field",
        "malformed-json",
        "wrong-content-type",
        "batch-too-large",
    }
    for name, kind in bad["kinds"].items():
        assert kind["status"] == {str(kind["expected"]): kind["sent"]}, name
    assert bad["refused_4xx"] == bad["sent"]
    refused = {code: n for code, n in total["status"].items() if code.startswith("4")}
    assert sum(refused.values()) == bad["sent"]
    assert total["status"]["200"] == sent - bad["sent"]
    assert [w for w in summary["warnings"] if "fell behind" not in w] == []
    assert "Traceback" not in result.stderr
    # The API counted every refusal, under the route it came to.
    rise = _rise(before, _request_counts(api))
    assert sum(n for (_, status), n in rise.items() if status.startswith("4")) == sum(
        refused.values()
    )
    for path, row in total["endpoints"].items():
        for status, n in row["status"].items():
            assert rise[path, status] == n, (path, status)


def test_the_normal_mix_reaches_batch_and_explain_with_feedback_on_every_text(api):
    before, feedback_before = _request_counts(api), _feedback_counts(api)
    args = ["--scenario", "normal:4", "--rps", "30", "--feedback", "100", "--seed", "4"]
    summary = _summary(_traffic("--url", api.url, "--json", *args))
    total = summary["total"]
    endpoints = total["endpoints"]
    assert set(endpoints) == {"/predict", "/predict/batch", "/explain"}
    assert all(row["status"] == {"200": row["sent"]} for row in endpoints.values())
    assert endpoints["/predict"]["sent"] > endpoints["/explain"]["sent"] > 0
    rise = _rise(before, _request_counts(api))
    assert rise.pop(("/feedback", "200")) == total["feedback"]["accepted"]
    assert rise == {(path, "200"): row["sent"] for path, row in endpoints.items()}
    feedback = total["feedback"]
    # A batch of 2 to 5 texts asks for feedback on each, so there is more than one a request.
    assert feedback["asked"] == feedback["sent"] == feedback["accepted"] > total["sent"]
    assert feedback["refused"] == {} and feedback["no_token"] == 0
    assert (
        sum(_feedback_rise(feedback_before, _feedback_counts(api)).values())
        == (feedback["accepted"])
    )

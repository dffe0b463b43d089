"""POST /feedback on a real `sentimon serve`: across workers, across a restart, without text."""

from __future__ import annotations

import json

import httpx
from prometheus_client.parser import text_string_to_metric_families
from servers import ApiServer, wait_until


def _feedback_counts(server: ApiServer) -> dict[tuple[str, str, str], float]:
    """model_feedback_total by (predicted_label, true_label, correct), pooled over workers."""
    counts: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(httpx.get(f"{server.url}/metrics").text):
        if family.name == "model_feedback":
            for s in family.samples:
                if s.name == "model_feedback_total":
                    key = (s.labels["predicted_label"], s.labels["true_label"], s.labels["correct"])
                    counts[key] = counts.get(key, 0) + s.value
    return counts


def _predict(server: ApiServer, text: str) -> dict:
    # A new connection each time, so the workers share the requests between them.
    response = httpx.post(f"{server.url}/predict", json={"text": text}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _feedback(server: ApiServer, token: str, label: str) -> httpx.Response:
    body = {"feedback_token": token, "label": label}
    return httpx.post(f"{server.url}/feedback", json=body, timeout=10)


def test_any_worker_and_a_restarted_service_take_feedback_on_earlier_answers(api_factory, tmp_path):
    env = {"SENTIMON_FEEDBACK_KEY_FILE": str(tmp_path / "feedback.key")}
    first = api_factory(env, ["--workers", "2"])
    answers = [_predict(first, f"I love this shop, visit number {i}") for i in range(24)]
    assert all(a["label"] == "positive" and a["feedback_token"] for a in answers)
    for answer in answers[:16]:
        response = _feedback(first, answer["feedback_token"], "negative")
        assert response.status_code == 200, response.text
        assert response.json()["correct"] is False
    assert _feedback_counts(first) == {("positive", "negative", "false"): 16}
    first.stop()

    second = api_factory(env)  # same key file: tokens handed out before the restart still work
    for answer in answers[16:]:
        assert _feedback(second, answer["feedback_token"], "positive").status_code == 200
    assert _feedback_counts(second) == {("positive", "positive", "true"): 8}
    # Repeats reach the one worker that saw them first: counted once.
    repeat = _feedback(second, answers[16]["feedback_token"], "positive")
    assert repeat.status_code == 409
    assert repeat.json()["error"]["type"] == "feedback_already_given"


def test_a_service_with_another_key_refuses_the_tokens(api_factory, tmp_path):
    one = api_factory({"SENTIMON_FEEDBACK_KEY": "a" * 64})
    token = _predict(one, "The staff were lovely")["feedback_token"]
    other = api_factory({"SENTIMON_FEEDBACK_KEY": "b" * 64})
    refused = _feedback(other, token, "positive")
    assert refused.status_code == 422
    assert refused.json()["error"]["type"] == "invalid_feedback_token"
    assert "signature does not match" in refused.json()["error"]["message"]
    metrics = httpx.get(f"{other.url}/metrics").text
    assert 'model_feedback_rejected_total{reason="forged"} 1.0' in metrics


def test_feedback_lines_say_the_outcome_never_the_text(api_factory):
    server = api_factory({"SENTIMON_LOG_TEXT": "false"})
    secret = "my parcel number 4242-SECRET arrived broken"
    answer = _predict(server, secret)
    assert _feedback(server, answer["feedback_token"], "negative").status_code == 200
    log = server.workdir / "logs" / "sentimon.log"

    def feedback_line() -> dict | None:
        for line in log.read_text().splitlines():
            record = json.loads(line)
            if record.get("path") == "/feedback":
                return record
        return None

    wait_until(lambda: feedback_line() is not None, 10, "the /feedback access line")
    line = feedback_line()
    assert line["status"] == 200
    assert (line["predicted_label"], line["true_label"], line["correct"]) == (
        answer["label"],
        "negative",
        answer["label"] == "negative",
    )
    assert "SECRET" not in log.read_text().split('"/feedback"')[1]
    assert answer["feedback_token"] not in log.read_text()  # a token is a credential


def test_without_a_usable_key_predictions_still_serve_and_feedback_says_why(api_factory):
    server = api_factory({"SENTIMON_FEEDBACK_KEY": "too-short"})
    answer = _predict(server, "Lovely morning")
    assert answer["feedback_token"] is None
    response = _feedback(server, "s1.a.b.c.d", "positive")
    assert response.status_code == 503
    assert "at least 32" in response.json()["error"]["message"]
    assert "feedback is off" in server.stderr()

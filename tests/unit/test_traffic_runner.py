"""Open-loop rate control against fake senders: the schedule holds whatever replies do."""

from __future__ import annotations

import asyncio
import json
import random
import time

import httpx
import pytest

from sentimon.traffic.bad_input import bad_inputs
from sentimon.traffic.corpus import LabelledText
from sentimon.traffic.endpoints import DEFAULT_MIX, PREDICT_ONLY, EndpointMix
from sentimon.traffic.report import run_summary
from sentimon.traffic.runner import HttpSender, TrafficRun, run_chain
from sentimon.traffic.scenarios import Phase, TrafficRequest, build_scenario
from sentimon.traffic.stats import NO_TOKEN, FeedbackOutcome, Outcome


class SlowSender:
    """Answers 200 after `seconds`, and notes when each request started."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.starts: list[float] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, request: TrafficRequest) -> Outcome:
        self.starts.append(time.monotonic())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.in_flight -= 1
        return Outcome(200, None, self.seconds)


def _run(
    chain: list[tuple[str, float]],
    send,
    *,
    rps: float,
    concurrency: int = 1000,
    feedback: float = 0.0,
    bad_input: float = 0.0,
    endpoints: EndpointMix = PREDICT_ONLY,
):
    """Run a chain; one request a text (PREDICT_ONLY) unless `endpoints` says otherwise."""
    run = TrafficRun("http://fake", concurrency)
    options = {"feedback": feedback, "bad_input": bad_input, "endpoints": endpoints}
    plan = [(Phase(name, seconds), build_scenario(name, **options)) for name, seconds in chain]
    started = time.monotonic()
    asyncio.run(
        run_chain(run, plan, base_rps=rps, send=send, rng=random.Random(0), drain_seconds=2)
    )
    return run, started


def test_sends_follow_the_schedule_while_replies_are_slow():
    sender = SlowSender(0.3)
    run, started = _run([("normal", 0.6)], sender, rps=100)
    (phase,) = run.phases
    assert phase.scheduled == phase.sent == 60
    assert phase.skipped == 0
    # Open loop: within the first 0.3 s, before any reply is back, about 30 sends started.
    # A closed loop, waiting for each reply, would have started 1.
    early = sum(1 for t in sender.starts if t - started < 0.3)
    assert 24 <= early <= 36
    assert sender.most_in_flight >= 25
    # Every reply came back during the drain and counts in its phase.
    assert phase.completed == 60 and phase.statuses == {200: 60}
    assert run.in_flight == 0
    summary = run_summary(run, time.monotonic())
    assert summary["total"]["achieved_rps"] == pytest.approx(100, rel=0.1)


def test_the_concurrency_cap_skips_sends_and_says_it_fell_behind():
    sender = SlowSender(0.2)
    run, _ = _run([("normal", 0.5)], sender, rps=100, concurrency=5)
    (phase,) = run.phases
    assert sender.most_in_flight == 5
    assert phase.scheduled == 50
    assert phase.sent + phase.skipped == 50
    assert phase.skipped >= 30  # 5 slots freed every 0.2 s: about 15 sent
    summary = run_summary(run, time.monotonic())
    assert summary["total"]["achieved_rps"] < 50
    (warning,) = summary["warnings"]
    assert "phase 1 (normal) fell behind" in warning
    assert f"{phase.skipped} of 50 sends skipped with --concurrency 5" in warning


def test_a_stalled_client_catches_up_and_reports_late_sends():
    stalled = False

    async def blocking_sender(request: TrafficRequest) -> Outcome:
        nonlocal stalled
        if not stalled:
            stalled = True
            time.sleep(0.12)  # a client too busy to run its event loop
        return Outcome(200, None, 0.001)

    run, _ = _run([("normal", 0.4)], blocking_sender, rps=100)
    (phase,) = run.phases
    assert phase.sent == phase.scheduled == 40  # overdue sends still go out
    assert phase.late >= 5
    assert phase.max_lateness >= 0.08
    (warning,) = run_summary(run, time.monotonic())["warnings"]
    assert "started over 25 ms late" in warning and "could not keep up" in warning


def test_failures_are_counted_by_kind_and_never_stop_the_run():
    kinds = iter([httpx.ConnectError("refused"), RuntimeError("odd"), None] * 10)

    async def flaky(request: TrafficRequest) -> Outcome:
        failure = next(kinds)
        if failure is None:
            return Outcome(200, None, 0.001)
        raise failure

    run, _ = _run([("normal", 0.3)], flaky, rps=100)
    (phase,) = run.phases
    assert phase.completed == phase.sent == 30
    assert phase.errors == {"ConnectError": 10, "RuntimeError": 10}
    assert phase.statuses == {200: 10}
    assert len(phase.latencies) == 10  # failures have no response latency


def test_phases_chain_at_their_own_rates_and_replies_count_where_they_were_sent():
    sender = SlowSender(0.25)
    run, _ = _run([("normal", 0.2), ("spike", 0.2)], sender, rps=20)
    first, spike = run.phases
    assert (first.target_rps, spike.target_rps) == (20, 200)
    assert (first.sent, spike.sent) == (4, 40)
    # The first phase's replies arrived during the spike, and still count in the first.
    assert first.completed == 4 and spike.completed == 40
    assert spike.started - first.started == pytest.approx(0.2, abs=0.05)


def test_http_sender_posts_the_text_and_the_fault_header():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("x-inject-fault") == "error":
            return httpx.Response(500, json={"error": {}})
        return httpx.Response(200, json={"label": "positive"})

    async def go() -> list[Outcome]:
        async with httpx.AsyncClient(
            base_url="http://api", transport=httpx.MockTransport(handler)
        ) as client:
            send = HttpSender(client)
            return [
                await send(TrafficRequest("lovely")),
                await send(TrafficRequest("lovely", "error")),
            ]

    ok, failed = asyncio.run(go())
    assert (ok.status, ok.error) == (200, None)
    assert (failed.status, failed.error) == (500, None)
    assert seen[0].method == "POST" and seen[0].url.path == "/predict"
    assert json.loads(seen[0].content) == {"text": "lovely"}
    assert "x-inject-fault" not in seen[0].headers
    assert seen[1].headers["x-inject-fault"] == "error"


def test_http_sender_turns_transport_errors_into_outcomes():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async def go() -> Outcome:
        async with httpx.AsyncClient(
            base_url="http://api", transport=httpx.MockTransport(refuse)
        ) as client:
            return await HttpSender(client)(TrafficRequest("hello"))

    outcome = asyncio.run(go())
    assert (outcome.status, outcome.error) == (None, "ConnectError")


class FeedbackSender:
    """Answers 200 at once; requests asking for feedback get it, every fifth refused (409)."""

    def __init__(self) -> None:
        self.requests: list[TrafficRequest] = []

    async def __call__(self, request: TrafficRequest) -> Outcome:
        self.requests.append(request)
        if not request.feedback:
            return Outcome(200, None, 0.001)
        refused = sum(r.feedback for r in self.requests) % 5 == 0
        verdict = FeedbackOutcome(409, None) if refused else FeedbackOutcome(200, None, True)
        return Outcome(200, None, 0.001, (verdict,))


def test_the_feedback_share_of_a_run_is_respected_and_counted_apart():
    sender = FeedbackSender()
    run, _ = _run([("normal", 0.5)], sender, rps=1000, feedback=40)
    (phase,) = run.phases
    asked = sum(r.feedback for r in sender.requests)
    assert phase.sent == len(sender.requests) == 500
    assert asked / phase.sent == pytest.approx(0.40, abs=0.07)
    assert all(r.true_label for r in sender.requests)
    assert phase.feedback_asked == phase.feedback_sent == asked
    assert phase.feedback_refused == {409: asked // 5}
    assert phase.feedback_accepted == phase.feedback_correct == asked - asked // 5
    # Feedback is not a prediction: statuses and latencies count /predict alone.
    assert phase.statuses == {200: 500} and len(phase.latencies) == 500
    row = run_summary(run, time.monotonic())["total"]["feedback"]
    assert (row["sent"], row["refused"]) == (asked, {"409": asked // 5})


def test_a_run_of_texts_without_a_true_label_sends_no_feedback():
    sender = FeedbackSender()
    run, _ = _run([("low-confidence", 0.1), ("drift", 0.1)], sender, rps=500, feedback=100)
    assert len(sender.requests) == 100
    assert not any(r.feedback or r.true_label for r in sender.requests)
    assert all(p.feedback_asked == p.feedback_sent == 0 for p in run.phases)


def _mock_api(feedback_answer, *, token: str | None = "tok-1", predict_status: int = 200):
    """A MockTransport API: /predict hands out `token`, /feedback answers `feedback_answer`."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/predict":
            return httpx.Response(
                predict_status, json={"label": "positive", "feedback_token": token}
            )
        return feedback_answer(request)

    return httpx.MockTransport(handler), seen


def _send_all(transport: httpx.MockTransport, *requests: TrafficRequest) -> list[Outcome]:
    async def go() -> list[Outcome]:
        async with httpx.AsyncClient(base_url="http://api", transport=transport) as client:
            send = HttpSender(client)
            return [await send(request) for request in requests]

    return asyncio.run(go())


def test_http_sender_sends_the_true_label_with_the_token_after_timing_the_prediction():
    def slow_verdict(request: httpx.Request) -> httpx.Response:
        time.sleep(0.2)  # a slow POST /feedback must not show in the prediction's latency
        return httpx.Response(200, json={"correct": False, "label": "negative"})

    transport, seen = _mock_api(slow_verdict)
    (outcome,) = _send_all(transport, TrafficRequest("yeah right", None, "negative", True))
    assert [r.url.path for r in seen] == ["/predict", "/feedback"]
    assert json.loads(seen[1].content) == {"feedback_token": "tok-1", "label": "negative"}
    assert (outcome.status, outcome.error) == (200, None)
    assert outcome.seconds < 0.15
    assert outcome.feedback == (FeedbackOutcome(200, None, False),)


def test_http_sender_sends_no_feedback_unless_asked_and_the_prediction_succeeded():
    transport, seen = _mock_api(lambda request: httpx.Response(200, json={"correct": True}))
    outcomes = _send_all(
        transport,
        TrafficRequest("lovely", None, "positive", False),  # not asked
        TrafficRequest("lovely", None, None, True),  # no true label
    )
    failing, failing_seen = _mock_api(lambda r: httpx.Response(200), predict_status=500)
    outcomes += _send_all(failing, TrafficRequest("lovely", "error", "positive", True))
    assert [r.url.path for r in seen + failing_seen] == ["/predict"] * 3
    assert [o.feedback for o in outcomes] == [(), (), ()]


def test_http_sender_reports_refused_feedback_missing_tokens_and_transport_errors():
    refusing, _ = _mock_api(
        lambda request: httpx.Response(409, json={"error": {"type": "conflict"}})
    )
    (refused,) = _send_all(refusing, TrafficRequest("ok", None, "neutral", True))
    assert refused.feedback == (FeedbackOutcome(409, None),)

    tokenless, seen = _mock_api(lambda request: httpx.Response(200), token=None)
    (off,) = _send_all(tokenless, TrafficRequest("ok", None, "neutral", True))
    assert off.feedback == (FeedbackOutcome(None, NO_TOKEN),)
    assert [r.url.path for r in seen] == ["/predict"]

    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed", request=request)

    broken, _ = _mock_api(reset)
    (lost,) = _send_all(broken, TrafficRequest("ok", None, "neutral", True))
    assert (lost.status, lost.error) == (200, None)
    assert lost.feedback == (FeedbackOutcome(None, "RemoteProtocolError"),)


def test_http_sender_sends_a_batch_and_feedback_on_each_of_its_texts():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/predict/batch":
            texts = json.loads(request.content)["texts"]
            results = [{"feedback_token": f"tok-{i}"} for i in range(len(texts))]
            return httpx.Response(200, json={"results": results})
        if request.url.path == "/explain":
            return httpx.Response(200, json={"feedback_token": "tok-x", "attributions": []})
        return httpx.Response(200, json={"correct": True})

    items = (LabelledText("great", "positive"), LabelledText("awful", "negative"))
    batch = TrafficRequest("great", None, "positive", True, "/predict/batch", items)
    explain = TrafficRequest("meh", None, "neutral", True, "/explain")
    sent_batch, sent_explain = _send_all(httpx.MockTransport(handler), batch, explain)
    assert [r.url.path for r in seen] == [
        "/predict/batch",
        "/feedback",
        "/feedback",
        "/explain",
        "/feedback",
    ]
    assert json.loads(seen[0].content) == {"texts": ["great", "awful"]}
    assert [json.loads(seen[i].content) for i in (1, 2, 4)] == [
        {"feedback_token": "tok-0", "label": "positive"},
        {"feedback_token": "tok-1", "label": "negative"},
        {"feedback_token": "tok-x", "label": "neutral"},
    ]
    assert json.loads(seen[3].content) == {"text": "meh"}
    assert sent_batch.feedback == (FeedbackOutcome(200, None, True),) * 2
    assert sent_explain.feedback == (FeedbackOutcome(200, None, True),)


def test_a_batch_answer_without_tokens_reports_each_text_as_tokenless():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"results": []}))
    items = (LabelledText("great", "positive"),) * 3
    (outcome,) = _send_all(
        transport, TrafficRequest("great", None, "positive", True, "/predict/batch", items)
    )
    assert outcome.feedback == (FeedbackOutcome(None, NO_TOKEN),) * 3


def test_http_sender_sends_each_bad_kind_as_raw_bytes_with_its_content_type():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(422, json={"error": {}})

    kinds = bad_inputs()
    requests = [TrafficRequest("", path=k.path, bad=k.name, feedback=True) for k in kinds.values()]
    outcomes = _send_all(httpx.MockTransport(handler), *requests)
    assert [(r.url.path, r.content, r.headers["content-type"]) for r in seen] == [
        (k.path, k.body, k.content_type) for k in kinds.values()
    ]
    assert all(o.status == 422 and o.feedback == () for o in outcomes)


def test_a_run_with_the_mix_and_bad_input_counts_both():
    sender = FeedbackSender()
    run, _ = _run(
        [("normal", 0.5)], sender, rps=1000, feedback=100, bad_input=20, endpoints=DEFAULT_MIX
    )
    (phase,) = run.phases
    assert phase.sent == 500
    assert phase.bad_sent.total() / 500 == pytest.approx(0.2, abs=0.06)
    assert set(phase.paths_sent) == {"/predict", "/predict/batch", "/explain"}
    good = [r for r in sender.requests if not r.bad]
    assert phase.feedback_asked == sum(max(len(r.batch), 1) for r in good)

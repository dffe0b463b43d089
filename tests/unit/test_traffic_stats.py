"""Counting, exact latency percentiles, the summary's warnings and the run's verdict."""

from __future__ import annotations

import io
from array import array

import pytest
from rich.console import Console

from sentimon.traffic.bad_input import bad_inputs
from sentimon.traffic.corpus import LabelledText
from sentimon.traffic.display import breakdown_table, summary_table
from sentimon.traffic.report import failure, phase_summary, run_summary
from sentimon.traffic.runner import TrafficRun
from sentimon.traffic.scenarios import TrafficRequest
from sentimon.traffic.stats import (
    NO_TOKEN,
    FeedbackOutcome,
    Outcome,
    PhaseStats,
    combine,
    latency_summary,
)

PLAIN = TrafficRequest("fine")
ERROR = TrafficRequest("fine", "error")
SLOW = TrafficRequest("fine", "slow")
WITH_FEEDBACK = TrafficRequest("fine", None, "positive", True)


def _phase(number: int = 1, scenario: str = "normal", rps: float = 10.0) -> PhaseStats:
    return PhaseStats(number, scenario, rps, 10.0, started=100.0, ended=110.0)


def _send(stats: PhaseStats, request: TrafficRequest, outcome: Outcome, times: int = 1) -> None:
    for _ in range(times):
        stats.note_send_time(0.0)
        stats.note_sent(request)
        stats.record(request, outcome)


def test_percentiles_are_exact_over_every_latency():
    summary = latency_summary(array("d", [ms / 1000 for ms in range(1, 101)]))
    assert summary == {
        "count": 100,
        "min": 1.0,
        "mean": 50.5,
        "p50": 50.5,
        "p95": 95.05,
        "p99": 99.01,
        "max": 100.0,
    }


def test_one_slow_request_in_a_hundred_shows_in_p99_not_p95():
    summary = latency_summary(array("d", [0.001] * 99 + [1.0]))
    assert summary["p50"] == summary["p95"] == 1.0
    assert summary["p99"] == pytest.approx(10.99)
    assert summary["max"] == 1000.0


def test_no_latencies_give_no_percentiles():
    assert latency_summary(array("d")) == {
        "count": 0,
        "min": None,
        "mean": None,
        "p50": None,
        "p95": None,
        "p99": None,
        "max": None,
    }


def test_outcomes_are_counted_by_status_and_error_kind():
    stats = _phase(scenario="errors")
    _send(stats, PLAIN, Outcome(200, None, 0.002), times=3)
    _send(stats, ERROR, Outcome(500, None, 0.003), times=7)
    _send(stats, ERROR, Outcome(None, "ReadTimeout", 10.0))
    row = phase_summary(stats, now=110.0)
    assert row["status"] == {"200": 3, "500": 7}
    assert row["transport_errors"] == {"ReadTimeout": 1}
    assert (row["sent"], row["completed"], row["responses"], row["unfinished"]) == (11, 11, 10, 0)
    assert row["share_5xx"] == 0.7
    assert row["faults_asked"] == {"error": 8}
    assert row["injected_errors"] == 7
    assert row["latency_ms"]["count"] == 10  # the timeout has no response latency
    assert row["achieved_rps"] == 1.1  # 11 sends in 10 s


def test_the_total_adds_phases_and_weights_the_target_by_time():
    a, b = _phase(1, "normal", 10), _phase(2, "spike", 100)
    b.started, b.ended = 110.0, 130.0
    _send(a, PLAIN, Outcome(200, None, 0.001), times=4)
    _send(b, PLAIN, Outcome(503, None, 0.002), times=6)
    total = combine([a, b], now=200.0)
    assert total.target_rps == pytest.approx((10 * 10 + 100 * 20) / 30)
    assert total.statuses == {200: 4, 503: 6}
    assert total.sent == 10 and len(total.latencies) == 10
    assert total.elapsed(200.0) == pytest.approx(30.0)


def _summary(*phases: PhaseStats, url: str = "http://api") -> dict:
    run = TrafficRun(url, concurrency=100, phases=list(phases), finished=True)
    return run_summary(run, now=200.0)


def test_asking_for_errors_and_getting_none_says_fault_injection_is_off():
    stats = _phase(scenario="errors")
    _send(stats, ERROR, Outcome(200, None, 0.002), times=7)
    _send(stats, PLAIN, Outcome(200, None, 0.002), times=3)
    (warning,) = _summary(stats)["warnings"]
    assert "asked for 7 injected errors and got no 5xx" in warning
    assert "SENTIMON_FAULT_INJECTION=1" in warning


def test_asking_for_slow_answers_and_getting_fast_ones_says_so():
    stats = _phase(scenario="slow")
    _send(stats, SLOW, Outcome(200, None, 0.004), times=10)
    (warning,) = _summary(stats)["warnings"]
    assert "asked for slow answers but the median latency was 4.0 ms" in warning
    slowed = _phase(scenario="slow")
    _send(slowed, SLOW, Outcome(200, None, 0.2), times=10)
    assert _summary(slowed)["warnings"] == []


def test_requests_left_in_flight_are_reported_as_unfinished():
    stats = _phase()
    _send(stats, PLAIN, Outcome(200, None, 0.001), times=5)
    stats.note_sent(PLAIN)
    summary = _summary(stats)
    assert summary["total"]["unfinished"] == 1
    assert "1 requests were still in flight" in summary["warnings"][0]


def test_a_run_where_nothing_connected_fails_and_says_where_it_tried():
    stats = _phase()
    _send(stats, PLAIN, Outcome(None, "ConnectError", 0.001), times=5)
    reason = failure(_summary(stats, url="http://127.0.0.1:9"))
    assert reason == (
        "no request succeeded (5 x ConnectError): is the API running at http://127.0.0.1:9?"
    )


def test_a_run_of_only_unasked_errors_fails():
    stats = _phase()
    _send(stats, PLAIN, Outcome(503, None, 0.001), times=3)
    assert failure(_summary(stats)) == "no request succeeded (3 x HTTP 503)"


def test_asked_for_errors_count_as_success_and_so_does_one_200():
    all_asked = _phase(scenario="errors")
    _send(all_asked, ERROR, Outcome(500, None, 0.001), times=3)
    assert failure(_summary(all_asked)) is None
    mostly_down = _phase()
    _send(mostly_down, PLAIN, Outcome(None, "ConnectError", 0.001), times=9)
    _send(mostly_down, PLAIN, Outcome(200, None, 0.001))
    assert failure(_summary(mostly_down)) is None


def _with_feedback(feedback: FeedbackOutcome, seconds: float = 0.002) -> Outcome:
    return Outcome(200, None, seconds, (feedback,))


def test_feedback_is_counted_apart_from_the_predictions():
    stats = _phase()
    _send(stats, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, True)), times=6)
    _send(stats, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, False)), times=2)
    _send(stats, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(409, None)))
    _send(stats, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(422, None)))
    _send(stats, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(None, "ReadTimeout")))
    _send(stats, WITH_FEEDBACK, Outcome(503, None, 0.002))  # no prediction, no feedback
    _send(stats, PLAIN, Outcome(200, None, 0.002), times=3)
    row = phase_summary(stats, now=110.0)
    assert row["feedback"] == {
        "asked": 12,
        "sent": 11,
        "accepted": 8,
        "refused": {"409": 1, "422": 1},
        "transport_errors": {"ReadTimeout": 1},
        "no_token": 0,
        "correct": 6,
        "accuracy": 0.75,
    }
    # The predictions' own figures know nothing of the feedback that followed them.
    assert row["status"] == {"200": 14, "503": 1}
    assert row["transport_errors"] == {}
    assert row["latency_ms"]["count"] == 15


def test_refused_feedback_is_a_warning_not_a_failed_run():
    stats = _phase()
    _send(stats, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, True)), times=3)
    _send(stats, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(409, None)), times=2)
    summary = _summary(stats)
    (warning,) = summary["warnings"]
    assert "phase 1 (normal): 2 of 5 feedback not accepted (2 x HTTP 409)" in warning
    assert failure(summary) is None


def test_predictions_without_a_feedback_token_say_feedback_is_off():
    stats = _phase()
    _send(stats, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(None, NO_TOKEN)), times=4)
    summary = _summary(stats)
    assert summary["total"]["feedback"]["no_token"] == 4
    assert summary["total"]["feedback"]["sent"] == 0
    (warning,) = summary["warnings"]
    assert "to send feedback on 4 predictions but none carried a feedback_token" in warning
    assert "feedback is off on the API" in warning


def test_a_run_without_feedback_reports_none():
    stats = _phase()
    _send(stats, PLAIN, Outcome(200, None, 0.001), times=3)
    feedback = _summary(stats)["total"]["feedback"]
    assert feedback["asked"] == feedback["sent"] == feedback["accepted"] == 0
    assert feedback["accuracy"] is None


def test_the_total_adds_the_phases_feedback():
    a, b = _phase(1, "normal"), _phase(2, "world-change")
    _send(a, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, True)), times=9)
    _send(a, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, False)))
    _send(b, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, True)), times=2)
    _send(b, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, False)), times=8)
    _send(b, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(409, None)))
    summary = _summary(a, b)
    assert [p["feedback"]["accuracy"] for p in summary["phases"]] == [0.9, 0.2]
    total = summary["total"]["feedback"]
    assert (total["asked"], total["accepted"], total["correct"]) == (21, 20, 11)
    assert total["refused"] == {"409": 1} and total["accuracy"] == 0.55


def test_the_table_shows_feedback_only_when_the_run_sent_some():
    def rendered(stats: PhaseStats) -> str:
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(summary_table(_summary(stats), "traffic"))
        return console.export_text()

    plain = _phase()
    _send(plain, PLAIN, Outcome(200, None, 0.001), times=3)
    assert "feedback" not in rendered(plain)
    fed = _phase(scenario="world-change")
    _send(fed, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, True)))
    _send(fed, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(200, None, False)), times=3)
    _send(fed, WITH_FEEDBACK, _with_feedback(FeedbackOutcome(409, None)))
    text = rendered(fed)
    assert "feedback" in text and "4/5 25% 409:1" in text


BATCH_OF_3 = TrafficRequest(
    "a",
    None,
    "positive",
    True,
    "/predict/batch",
    tuple(LabelledText(t, "positive") for t in "abc"),
)


def _bad(kind: str) -> TrafficRequest:
    return TrafficRequest("", path=bad_inputs()[kind].path, bad=kind)


def test_requests_are_counted_per_route_and_bad_input_per_kind():
    stats = _phase()
    _send(stats, PLAIN, Outcome(200, None, 0.001), times=5)
    _send(stats, TrafficRequest("fine", path="/explain"), Outcome(200, None, 0.004), times=2)
    _send(stats, _bad("empty-text"), Outcome(422, None, 0.001), times=3)
    _send(stats, _bad("wrong-content-type"), Outcome(415, None, 0.001))
    _send(stats, _bad("batch-too-large"), Outcome(None, "ReadTimeout", 10.0))
    row = phase_summary(stats, now=110.0)
    assert row["endpoints"] == {
        "/explain": {"sent": 2, "status": {"200": 2}},
        "/predict": {"sent": 9, "status": {"200": 5, "415": 1, "422": 3}},
        "/predict/batch": {"sent": 1, "status": {}},
    }
    assert row["bad_input"] == {
        "sent": 5,
        "refused_4xx": 4,
        "kinds": {
            "empty-text": {"expected": 422, "sent": 3, "status": {"422": 3}},
            "wrong-content-type": {"expected": 415, "sent": 1, "status": {"415": 1}},
            "batch-too-large": {"expected": 422, "sent": 1, "status": {}},
        },
    }
    assert row["status"] == {"200": 7, "415": 1, "422": 3}
    summary = _summary(stats)
    assert summary["total"]["bad_input"] == row["bad_input"]
    assert summary["warnings"] == []  # refused bad input is what was asked for


def test_bad_input_accepted_or_crashed_on_is_a_warning_not_a_failed_run():
    stats = _phase()
    _send(stats, PLAIN, Outcome(200, None, 0.001), times=2)
    _send(stats, _bad("too-long"), Outcome(200, None, 0.001), times=2)
    _send(stats, _bad("empty-text"), Outcome(500, None, 0.001))
    _send(stats, _bad("malformed-json"), Outcome(400, None, 0.001))
    summary = _summary(stats)
    accepted, crashed = summary["warnings"]
    assert accepted == (
        "phase 1 (normal): 2 bad requests accepted (2xx) where the API should refuse them "
        "with a 4xx (2 x too-long 200)"
    )
    assert "1 bad requests answered with a 5xx" in crashed and "1 x empty-text 500" in crashed
    assert failure(summary) is None


def test_a_run_of_only_bad_input_succeeds_when_the_api_refuses_it():
    stats = _phase()
    _send(stats, _bad("missing-field"), Outcome(422, None, 0.001), times=4)
    assert failure(_summary(stats)) is None
    crashed = _phase()
    _send(crashed, _bad("missing-field"), Outcome(500, None, 0.001), times=4)
    assert failure(_summary(crashed)) == "no request succeeded (4 x HTTP 500)"


def test_a_batch_asks_for_feedback_on_every_text():
    stats = _phase()
    verdicts = (FeedbackOutcome(200, None, True), FeedbackOutcome(200, None, False))
    _send(stats, BATCH_OF_3, Outcome(200, None, 0.003, (*verdicts, FeedbackOutcome(409, None))))
    feedback = phase_summary(stats, now=110.0)["feedback"]
    assert (feedback["asked"], feedback["sent"], feedback["accepted"]) == (3, 3, 2)
    assert feedback["refused"] == {"409": 1} and feedback["accuracy"] == 0.5


def test_the_breakdown_table_shows_routes_and_bad_kinds_against_their_expected_status():
    stats = _phase()
    _send(stats, PLAIN, Outcome(200, None, 0.001), times=3)
    _send(stats, BATCH_OF_3, Outcome(200, None, 0.001))
    _send(stats, _bad("malformed-json"), Outcome(400, None, 0.001), times=2)
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(breakdown_table(_summary(stats)))
    lines = [" ".join(line.split()) for line in console.export_text().splitlines()]
    assert "/predict 5 200:3 400:2" in lines
    assert "/predict/batch 1 200:1" in lines
    assert "bad: malformed-json 2 400 400:2" in lines
    assert breakdown_table(_summary(_phase())) is None

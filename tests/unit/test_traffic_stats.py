"""Counting, exact latency percentiles, the summary's warnings and the run's verdict."""

from __future__ import annotations

from array import array

import pytest

from sentimon.traffic.report import failure, phase_summary, run_summary
from sentimon.traffic.runner import TrafficRun
from sentimon.traffic.scenarios import TrafficRequest
from sentimon.traffic.stats import Outcome, PhaseStats, combine, latency_summary

PLAIN = TrafficRequest("fine")
ERROR = TrafficRequest("fine", "error")
SLOW = TrafficRequest("fine", "slow")


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

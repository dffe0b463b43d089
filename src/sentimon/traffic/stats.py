"""What one phase of traffic did: sends against the schedule, outcomes, latencies."""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from sentimon.traffic.scenarios import TrafficRequest

# A send that starts this long after its scheduled time counts as late: well above the
# event loop's timer jitter (about a millisecond), well below what a latency objective
# would notice.
LATE_AFTER_SECONDS = 0.025

# FeedbackOutcome.error when the prediction carried no feedback_token (feedback off on
# the API), so no POST /feedback was sent.
NO_TOKEN = "no feedback_token"


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    """How the POST /feedback that followed a prediction ended."""

    status: int | None  # None: a transport error, or not sent (NO_TOKEN)
    error: str | None  # exception class name, or NO_TOKEN
    correct: bool | None = None  # the API's verdict on accepted feedback


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one request ended: an HTTP status, or the kind of transport error.

    `seconds` times the prediction alone; the feedback that follows it, if any (one per
    text of a batch), is counted apart so that it moves neither the latencies nor the
    statuses.
    """

    status: int | None
    error: str | None  # exception class name (ConnectError, ReadTimeout, ...)
    seconds: float
    feedback: tuple[FeedbackOutcome, ...] = ()


@dataclass
class PhaseStats:
    """Counters of one phase; requests are counted in the phase that sent them."""

    number: int  # 1-based position in the chain; 0 for the total
    scenario: str
    target_rps: float
    planned_seconds: float
    started: float | None = None  # time.monotonic() when the phase began
    ended: float | None = None
    scheduled: int = 0  # send times reached by the schedule
    sent: int = 0
    skipped: int = 0  # send times dropped: --concurrency requests already in flight
    late: int = 0  # sends started more than LATE_AFTER_SECONDS after their time
    max_lateness: float = 0.0
    completed: int = 0  # an HTTP response or a transport error came back
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    faults_asked: Counter[str] = field(default_factory=Counter)  # fault -> requests sent
    injected_errors: int = 0  # asked for `error` and got a 5xx
    paths_sent: Counter[str] = field(default_factory=Counter)  # route -> requests sent
    path_statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    bad_sent: Counter[str] = field(default_factory=Counter)  # bad-input kind -> sent
    bad_statuses: Counter[tuple[str, int]] = field(default_factory=Counter)  # (kind, status)
    feedback_asked: int = 0  # feedback the requests sent were to be followed by (one a text)
    feedback_no_token: int = 0  # predictions that succeeded without a feedback_token
    feedback_statuses: Counter[int] = field(default_factory=Counter)  # of POST /feedback
    feedback_errors: Counter[str] = field(default_factory=Counter)
    feedback_correct: int = 0  # accepted feedback the API found the prediction right for
    # Every response's latency in seconds, kept whole so that percentiles are exact
    # (8 bytes a request: a million requests is 8 MB). A fixed-bucket histogram would
    # give percentiles only as fine as its buckets, and averaging per-interval
    # percentiles is simply wrong.
    latencies: array = field(default_factory=lambda: array("d"))

    def note_send_time(self, lateness: float) -> None:
        self.scheduled += 1
        if lateness > LATE_AFTER_SECONDS:
            self.late += 1
        self.max_lateness = max(self.max_lateness, lateness)

    def note_sent(self, request: TrafficRequest) -> None:
        self.sent += 1
        self.paths_sent[request.path] += 1
        if request.bad:
            self.bad_sent[request.bad] += 1
        if request.fault:
            self.faults_asked[request.fault] += 1
        self.feedback_asked += request.feedback_wanted

    def record(self, request: TrafficRequest, outcome: Outcome) -> None:
        self.completed += 1
        for feedback in outcome.feedback:
            self._record_feedback(feedback)
        if outcome.status is None:
            self.errors[outcome.error or "unknown"] += 1
            return
        self.statuses[outcome.status] += 1
        self.path_statuses[request.path, outcome.status] += 1
        if request.bad:
            self.bad_statuses[request.bad, outcome.status] += 1
        self.latencies.append(outcome.seconds)
        if request.fault == "error" and outcome.status >= 500:
            self.injected_errors += 1

    def _record_feedback(self, feedback: FeedbackOutcome) -> None:
        if feedback.error == NO_TOKEN:
            self.feedback_no_token += 1
        elif feedback.status is None:
            self.feedback_errors[feedback.error or "unknown"] += 1
        else:
            self.feedback_statuses[feedback.status] += 1
            self.feedback_correct += bool(feedback.correct)

    @property
    def feedback_sent(self) -> int:
        """POST /feedback requests that went out, answered or not."""
        return self.feedback_statuses.total() + self.feedback_errors.total()

    @property
    def feedback_accepted(self) -> int:
        return sum(n for status, n in self.feedback_statuses.items() if status // 100 == 2)

    @property
    def feedback_refused(self) -> Counter[int]:
        """POST /feedback answered with anything but a 2xx, by status."""
        return Counter({s: n for s, n in self.feedback_statuses.items() if s // 100 != 2})

    @property
    def bad_refused(self) -> int:
        """Bad requests answered with a 4xx, as they should be."""
        return sum(n for (_, status), n in self.bad_statuses.items() if status // 100 == 4)

    @property
    def responses(self) -> int:
        return self.completed - self.errors.total()

    def count_class(self, first_digit: int) -> int:
        """Responses whose status starts with `first_digit` (5 counts every 5xx)."""
        return sum(n for status, n in self.statuses.items() if status // 100 == first_digit)

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return (self.ended if self.ended is not None else now) - self.started


_ADDED = (
    "scheduled",
    "sent",
    "skipped",
    "late",
    "completed",
    "injected_errors",
    "feedback_asked",
    "feedback_no_token",
    "feedback_correct",
)
_COUNTERS = (
    "statuses",
    "errors",
    "faults_asked",
    "paths_sent",
    "path_statuses",
    "bad_sent",
    "bad_statuses",
    "feedback_statuses",
    "feedback_errors",
)


def combine(phases: list[PhaseStats], now: float) -> PhaseStats:
    """The whole run as one phase; its target is the time-weighted mean of the phases'."""
    total = PhaseStats(0, "total", 0.0, sum(p.planned_seconds for p in phases))
    elapsed = 0.0
    for p in phases:
        seconds = p.elapsed(now)
        elapsed += seconds
        total.target_rps += p.target_rps * seconds
        for name in _ADDED:
            setattr(total, name, getattr(total, name) + getattr(p, name))
        total.max_lateness = max(total.max_lateness, p.max_lateness)
        for name in _COUNTERS:
            getattr(total, name).update(getattr(p, name))
        total.latencies.extend(p.latencies)
    started = [p.started for p in phases if p.started is not None]
    if started:
        total.started = min(started)
        total.ended = total.started + elapsed
        total.target_rps /= max(elapsed, 1e-9)
    return total


def latency_summary(latencies: array) -> dict[str, float | int | None]:
    """Count, min, mean, p50, p95, p99 and max in milliseconds (None when empty)."""
    keys = ("min", "mean", "p50", "p95", "p99", "max")
    if not latencies:
        return {"count": 0} | dict.fromkeys(keys)
    ms = np.frombuffer(latencies, dtype=np.float64) * 1000
    # numpy's default linear interpolation between the closest ranks: exact for the
    # sample, and the same method as Prometheus's histogram_quantile within a bucket.
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    values = (ms.min(), ms.mean(), p50, p95, p99, ms.max())
    return {"count": len(ms)} | {k: round(float(v), 3) for k, v in zip(keys, values, strict=True)}

"""The run as data: the JSON summary, the warnings a user should read, and the verdict."""

from __future__ import annotations

from typing import Any

from sentimon.traffic.bad_input import bad_inputs
from sentimon.traffic.runner import TrafficRun
from sentimon.traffic.stats import LATE_AFTER_SECONDS, PhaseStats, combine, latency_summary

# Below this median an `X-Inject-Fault: slow` request was plainly not slowed down
# (the model answers in about a millisecond; the slow fault defaults to 1.5 s).
_NOT_SLOW_SECONDS = 0.05
_LATE_WARN_SHARE = 0.01
_FAULTS_OFF = "the API ignores X-Inject-Fault unless it runs with SENTIMON_FAULT_INJECTION=1"
_FEEDBACK_OFF = (
    "feedback is off on the API (no usable key: see SENTIMON_FEEDBACK_KEY in "
    "docs/configuration.md and the API's log)"
)


def _achieved_rps(p: PhaseStats, elapsed: float) -> float:
    # Sends start at 0, 1/rate, 2/rate, ...: early in a phase, dividing by the elapsed
    # time alone would show a rate far above the target.
    if p.target_rps <= 0 or elapsed <= 0:
        return 0.0
    return p.sent / max(elapsed, 1 / p.target_rps)


def phase_summary(p: PhaseStats, now: float) -> dict[str, Any]:
    """One phase (or the total) as a JSON-ready dict; docs/traffic.md lists the fields."""
    elapsed = p.elapsed(now)
    responses = p.responses
    return {
        "phase": p.number,
        "scenario": p.scenario,
        "planned_seconds": p.planned_seconds,
        "elapsed_seconds": round(elapsed, 3),
        "target_rps": round(p.target_rps, 3),
        "achieved_rps": round(_achieved_rps(p, elapsed), 3),
        "scheduled": p.scheduled,
        "sent": p.sent,
        "skipped": p.skipped,
        "late": p.late,
        "max_lateness_ms": round(p.max_lateness * 1000, 3),
        "completed": p.completed,
        "unfinished": p.sent - p.completed,
        "responses": responses,
        "status": {str(code): n for code, n in sorted(p.statuses.items())},
        "share_5xx": round(p.count_class(5) / responses, 4) if responses else None,
        "transport_errors": dict(sorted(p.errors.items())),
        "faults_asked": dict(sorted(p.faults_asked.items())),
        "injected_errors": p.injected_errors,
        "latency_ms": latency_summary(p.latencies),
        "endpoints": _endpoint_summary(p),
        "bad_input": _bad_input_summary(p),
        "feedback": _feedback_summary(p),
    }


def _statuses(counts: dict[tuple[str, int], int], key: str) -> dict[str, int]:
    return {str(status): n for (k, status), n in sorted(counts.items()) if k == key}


def _endpoint_summary(p: PhaseStats) -> dict[str, Any]:
    """Route -> requests sent and their statuses (bad input included)."""
    return {
        path: {"sent": sent, "status": _statuses(p.path_statuses, path)}
        for path, sent in sorted(p.paths_sent.items())
    }


def _bad_input_summary(p: PhaseStats) -> dict[str, Any]:
    kinds = bad_inputs()
    return {
        "sent": p.bad_sent.total(),
        "refused_4xx": p.bad_refused,
        "kinds": {
            name: {
                "expected": kinds[name].expected,
                "sent": p.bad_sent[name],
                "status": _statuses(p.bad_statuses, name),
            }
            for name in kinds
            if p.bad_sent[name]
        },
    }


def _feedback_summary(p: PhaseStats) -> dict[str, Any]:
    accepted = p.feedback_accepted
    return {
        "asked": p.feedback_asked,
        "sent": p.feedback_sent,
        "accepted": accepted,
        "refused": {str(code): n for code, n in sorted(p.feedback_refused.items())},
        "transport_errors": dict(sorted(p.feedback_errors.items())),
        "no_token": p.feedback_no_token,
        "correct": p.feedback_correct,
        "accuracy": round(p.feedback_correct / accepted, 4) if accepted else None,
    }


def _phase_warnings(p: PhaseStats, now: float, concurrency: int) -> list[str]:
    name = f"phase {p.number} ({p.scenario})"
    found = []
    # A send or two a few milliseconds past the mark on a busy machine is noise; the
    # counts stay in the table and the JSON either way.
    if p.skipped or p.late > _LATE_WARN_SHARE * p.scheduled:
        behind = []
        if p.skipped:
            behind.append(
                f"{p.skipped} of {p.scheduled} sends skipped with --concurrency "
                f"{concurrency} requests already in flight"
            )
        if p.late:
            behind.append(
                f"{p.late} started over {LATE_AFTER_SECONDS * 1000:.0f} ms late "
                f"(worst {p.max_lateness * 1000:.0f} ms): the client could not keep up"
            )
        elapsed = p.elapsed(now)
        found.append(
            f"{name} fell behind: {_achieved_rps(p, elapsed):.1f} of {p.target_rps:g} "
            f"requests/s; {'; '.join(behind)}"
        )
    asked_errors = p.faults_asked["error"]
    if asked_errors and p.responses and not p.injected_errors:
        found.append(
            f"{name} asked for {asked_errors} injected errors and got no 5xx: {_FAULTS_OFF}"
        )
    if p.faults_asked["slow"] and p.latencies:
        median_ms = latency_summary(p.latencies)["p50"]
        if median_ms < _NOT_SLOW_SECONDS * 1000:
            found.append(
                f"{name} asked for slow answers but the median latency was "
                f"{median_ms:.1f} ms: {_FAULTS_OFF}"
            )
    found += _bad_input_warnings(p, name)
    if p.feedback_no_token and not p.feedback_sent:
        found.append(
            f"{name} was to send feedback on {p.feedback_no_token} predictions but none "
            f"carried a feedback_token: {_FEEDBACK_OFF}"
        )
    refused = p.feedback_refused
    if refused or p.feedback_errors:
        seen = [f"{n} x HTTP {code}" for code, n in sorted(refused.items())]
        seen += [f"{n} x {kind}" for kind, n in sorted(p.feedback_errors.items())]
        found.append(
            f"{name}: {refused.total() + p.feedback_errors.total()} of "
            f"{p.feedback_sent} feedback not accepted ({', '.join(seen)}); "
            "the API's log says why"
        )
    return found


def _bad_input_warnings(p: PhaseStats, name: str) -> list[str]:
    """Bad input answered 2xx (the API took garbage) or 5xx (it crashed on it)."""
    found = []
    for first, what in ((2, "accepted (2xx)"), (5, "answered with a 5xx")):
        seen = {
            (kind, status): n
            for (kind, status), n in sorted(p.bad_statuses.items())
            if status // 100 == first
        }
        if seen:
            listed = ", ".join(f"{n} x {kind} {status}" for (kind, status), n in seen.items())
            found.append(
                f"{name}: {sum(seen.values())} bad requests {what} where the API should "
                f"refuse them with a 4xx ({listed})"
            )
    return found


def run_summary(run: TrafficRun, now: float) -> dict[str, Any]:
    """The whole run: per phase, in total, and the warnings; what --json prints."""
    started = [p for p in run.phases if p.started is not None]
    total = combine(started, now)
    warnings = [w for p in started for w in _phase_warnings(p, now, run.concurrency)]
    if run.finished and total.sent > total.completed:
        warnings.append(
            f"{total.sent - total.completed} requests were still in flight when the run "
            "ended; they count as unfinished, not in status or latency"
        )
    return {
        "url": run.url,
        "concurrency": run.concurrency,
        "interrupted": run.interrupted,
        "phases": [phase_summary(p, now) for p in started],
        "total": phase_summary(total, now),
        "warnings": warnings,
    }


def failure(summary: dict[str, Any]) -> str | None:
    """Why the run failed outright (no request succeeded), or None.

    A request succeeded when it got a 2xx, asked for an injected error and got its 5xx,
    or was bad input and got a 4xx.
    """
    total = summary["total"]
    succeeded = sum(n for code, n in total["status"].items() if code.startswith("2"))
    if succeeded + total["injected_errors"] + total["bad_input"]["refused_4xx"] > 0:
        return None
    if total["sent"] == 0:
        return "no request was sent"
    seen = [f"{n} x {kind}" for kind, n in total["transport_errors"].items()]
    seen += [f"{n} x HTTP {code}" for code, n in total["status"].items()]
    message = f"no request succeeded ({', '.join(seen) or 'no reply came back'})"
    if any(kind.startswith("Connect") for kind in total["transport_errors"]):
        message += f": is the API running at {summary['url']}?"
    return message

"""Open-loop rate control: requests start on a fixed schedule, whatever the responses do."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from sentimon.traffic.bad_input import bad_inputs
from sentimon.traffic.scenarios import FAULT_HEADER, Phase, Scenario, TrafficRequest
from sentimon.traffic.stats import NO_TOKEN, FeedbackOutcome, Outcome, PhaseStats

Sender = Callable[[TrafficRequest], Awaitable[Outcome]]

# While catching up after a stall, hand the event loop back every this many sends so
# that the requests already launched make progress.
_YIELD_EVERY = 64


@dataclass
class TrafficRun:
    """Everything a run has done so far; the live view and the summary read it."""

    url: str
    concurrency: int
    phases: list[PhaseStats] = field(default_factory=list)
    current: int = -1  # index into phases of the phase sending now
    in_flight: int = 0
    finished: bool = False  # no more sends: the chain ended or was interrupted
    interrupted: bool = False

    def now(self) -> float:
        return time.monotonic()


class HttpSender:
    """POSTs each request to its route and times it; transport errors become outcomes.

    A request that asks for feedback and gets a 2xx is followed, after the prediction
    was timed, by one POST /feedback per text it classified, each with that text's true
    label and its result's feedback_token. A bad request carries its kind's raw body.
    """

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def __call__(self, request: TrafficRequest) -> Outcome:
        start = time.perf_counter()
        try:
            response = await self._post(request)
        except httpx.HTTPError as exc:  # refused, reset, timed out, protocol errors
            return Outcome(None, type(exc).__name__, time.perf_counter() - start)
        seconds = time.perf_counter() - start
        feedback: tuple[FeedbackOutcome, ...] = ()
        if request.feedback_wanted and response.is_success:
            feedback = await self._feedback(response, request)
        return Outcome(response.status_code, None, seconds, feedback)

    async def _post(self, request: TrafficRequest) -> httpx.Response:
        if request.bad:
            kind = bad_inputs()[request.bad]
            headers = {"content-type": kind.content_type}
            return await self._client.post(kind.path, content=kind.body, headers=headers)
        if request.batch:
            texts = [item.text for item in request.batch]
            return await self._client.post(request.path, json={"texts": texts})
        headers = {FAULT_HEADER: request.fault} if request.fault else None
        return await self._client.post(request.path, json={"text": request.text}, headers=headers)

    async def _feedback(
        self, prediction: httpx.Response, request: TrafficRequest
    ) -> tuple[FeedbackOutcome, ...]:
        if request.batch:
            results = _field(prediction, "results")
            results = results if isinstance(results, list) else []
            tokens = [r.get("feedback_token") if isinstance(r, dict) else None for r in results]
        else:
            tokens = [_field(prediction, "feedback_token")]
        labels = [label for _, label in request.labelled()]
        tokens = (tokens + [None] * len(labels))[: len(labels)]
        # One after the other: a batch's feedback must not take more connections than
        # the --concurrency cap gave its request.
        pairs = [(t, label) for t, label in zip(tokens, labels, strict=True) if label]
        return tuple([await self._one_feedback(t, label) for t, label in pairs])

    async def _one_feedback(self, token: object, label: str) -> FeedbackOutcome:
        if not isinstance(token, str):
            return FeedbackOutcome(None, NO_TOKEN)
        try:
            response = await self._client.post(
                "/feedback", json={"feedback_token": token, "label": label}
            )
        except httpx.HTTPError as exc:
            return FeedbackOutcome(None, type(exc).__name__)
        if not response.is_success:
            return FeedbackOutcome(response.status_code, None)
        return FeedbackOutcome(response.status_code, None, _field(response, "correct") is True)


def _field(response: httpx.Response, name: str) -> object:
    """`name` from a JSON object body; None when the body is not one."""
    try:
        body = response.json()
    except ValueError:  # not JSON, or not UTF-8
        return None
    return body.get(name) if isinstance(body, dict) else None


async def _send_one(
    run: TrafficRun, stats: PhaseStats, send: Sender, request: TrafficRequest
) -> None:
    start = time.perf_counter()
    try:
        outcome = await send(request)
    except Exception as exc:  # a generator that dies on one odd failure measures nothing
        outcome = Outcome(None, type(exc).__name__, time.perf_counter() - start)
    finally:
        run.in_flight -= 1
    stats.record(request, outcome)


async def run_phase(
    run: TrafficRun,
    stats: PhaseStats,
    scenario: Scenario,
    send: Sender,
    rng: random.Random,
    tasks: set[asyncio.Task],
) -> None:
    """Start a request every 1/rate seconds for the phase's duration, without waiting for any.

    Send i is due at start + i/rate. A send that comes due while --concurrency requests
    are in flight is skipped (counted, never queued: a queue would turn the open loop
    back into a closed one). When the loop itself wakes late, the overdue sends start at
    once and count as late, so the number of sends still matches the schedule.
    """
    rate = stats.target_rps
    due_count = math.ceil(rate * stats.planned_seconds - 1e-9)
    start = run.now()
    stats.started = start
    for i in range(due_count):
        due = start + i / rate
        delay = due - run.now()
        if delay > 0:
            await asyncio.sleep(delay)
        elif i % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
        stats.note_send_time(max(0.0, run.now() - due))
        if run.in_flight >= run.concurrency:
            stats.skipped += 1
            continue
        request = scenario.draw(rng)
        run.in_flight += 1
        stats.note_sent(request)
        task = asyncio.create_task(_send_one(run, stats, send, request))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    remaining = start + stats.planned_seconds - run.now()
    if remaining > 0:
        await asyncio.sleep(remaining)
    stats.ended = run.now()


async def run_chain(
    run: TrafficRun,
    plan: list[tuple[Phase, Scenario]],
    *,
    base_rps: float,
    send: Sender,
    rng: random.Random,
    drain_seconds: float,
) -> None:
    """Run the phases back to back, then wait up to `drain_seconds` for the last replies.

    The next phase starts on time even while the previous one's requests are in
    flight; those still count in the phase that sent them.
    """
    tasks: set[asyncio.Task] = set()
    run.phases = [
        PhaseStats(n, phase.scenario, base_rps * scenario.rate_factor, phase.seconds)
        for n, (phase, scenario) in enumerate(plan, start=1)
    ]
    try:
        for index, (stats, (_, scenario)) in enumerate(zip(run.phases, plan, strict=True)):
            run.current = index
            await run_phase(run, stats, scenario, send, rng, tasks)
        if tasks:
            await asyncio.wait(set(tasks), timeout=drain_seconds)
    finally:
        run.finished = True
        # Cancelled here (drain timed out, or Ctrl-C), a request counts as unfinished.
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

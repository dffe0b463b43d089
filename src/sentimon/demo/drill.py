"""The alert drill: traffic that walks the alerts from calm to firing to resolved.

Each step sends one traffic scenario until the alert state it waits for is seen (or its
time runs out), while a watcher reports every state change in Prometheus, Alertmanager
and the webhook receiver, timed from the start of the step that caused it.

Two parts: the model's (drift and real accuracy, over a one-hour window: an hour or
two each in production timings) and the service's (errors and confidence, minutes).
The model part runs first, against the drift reference the model card ships: it is made
of the very texts normal traffic draws from, so its calm step raises nothing.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from sentimon.demo.watch import AlertWatcher, Transition
from sentimon.traffic.runner import HttpSender, TrafficRun, run_phase
from sentimon.traffic.scenarios import build_scenario
from sentimon.traffic.stats import PhaseStats

# Traffic goes out in chunks this long, so a step stops soon after its goal is met.
CHUNK_SECONDS = 2.0
WATCHED = frozenset({"HighErrorRate", "LowModelConfidence", "ModelDrift", "ModelAccuracyLow"})
CRITICAL = frozenset({"HighErrorRate", "ModelAccuracyLow"})
# The model's parts wait on a one-hour window (an hour or two each in production
# timings); the service's take minutes. `model` is both of the model's.
PARTS = ("drift", "accuracy", "service")
ALIASES = {"model": ("drift", "accuracy")}
# Percent of the model part's labelled texts whose true label goes to POST /feedback.
FEEDBACK_PERCENT = 50.0


@dataclass(frozen=True)
class Step:
    title: str
    scenario: str
    goal: str
    done: Callable[[AlertWatcher, float], bool]
    """Given the watcher and the seconds since the step began."""
    feedback: float = 0.0
    """Percent of labelled texts whose true label is sent to POST /feedback."""
    slow: bool = False
    """It waits on a one-hour rule window: it gets the long timeout."""
    minimum: float = 0.0
    """Seconds it runs at least (calm): added to its timeout."""


def _received(alertname: str, status: str) -> Callable[[AlertWatcher, float], bool]:
    severity = "critical" if alertname in CRITICAL else "warning"
    return lambda watcher, _: watcher.state("receiver", alertname, severity) == status


def _calm(seconds: float) -> Callable[[AlertWatcher, float], bool]:
    def calm(watcher: AlertWatcher, elapsed: float) -> bool:
        firing = any(
            key.source == "prometheus" and state != "inactive"
            for key, state in watcher.states.items()
        )
        return elapsed >= seconds and not firing

    return calm


def _calm_step(seconds: float, feedback: float = 0.0) -> Step:
    return Step("calm", "normal", f"{seconds:.0f} s of normal traffic, no alert active",
                _calm(seconds), feedback, minimum=seconds)  # fmt: skip


def _model_steps(calm_seconds: float, parts: tuple[str, ...]) -> list[Step]:
    feedback = FEEDBACK_PERCENT
    steps = [_calm_step(calm_seconds, feedback)]
    if "drift" in parts:
        steps += [
            Step("drift", "drift", "ModelDrift notified",
                 _received("ModelDrift", "firing"), slow=True),
            Step("recovery", "normal", "ModelDrift resolved",
                 _received("ModelDrift", "resolved"), feedback, slow=True),
        ]  # fmt: skip
    if "accuracy" in parts:
        steps += [
            Step("world change", "world-change", "ModelAccuracyLow (critical) notified",
                 _received("ModelAccuracyLow", "firing"), feedback, slow=True),
            Step("recovery", "normal", "ModelAccuracyLow resolved",
                 _received("ModelAccuracyLow", "resolved"), feedback, slow=True),
        ]  # fmt: skip
    return steps


def _service_steps() -> list[Step]:
    return [
        Step("errors", "errors", "HighErrorRate (critical) notified",
             _received("HighErrorRate", "firing")),
        Step("recovery", "normal", "HighErrorRate resolved",
             _received("HighErrorRate", "resolved")),
        Step("low confidence", "low-confidence", "LowModelConfidence notified",
             _received("LowModelConfidence", "firing")),
        Step("recovery", "normal", "LowModelConfidence resolved",
             _received("LowModelConfidence", "resolved")),
    ]  # fmt: skip


# Minutes each part takes at production timings, as measured (docs/alerts.md): the model's
# alerts look at the last hour, so each of their parts waits on one-hour windows.
PART_MINUTES = {"drift": (90, 120), "accuracy": (90, 120), "service": (15, 20)}


def expected_duration(parts: tuple[str, ...], time_scale: float = 1) -> str:
    """How long the walk of ``parts`` takes, in words: "about 3 to 4 hours"."""
    low = sum(PART_MINUTES[p][0] for p in parts) / time_scale
    high = sum(PART_MINUTES[p][1] for p in parts) / time_scale
    if high > 90:  # to the half hour
        low, high, unit = round(low / 30) / 2, round(high / 30) / 2, "hours"
    else:
        low, high, unit = max(1, round(low)), max(1, round(high)), "minutes"
    low_text, high_text = (f"{v:g}" for v in (low, high))
    if low_text == high_text:
        return f"about {low_text} {unit.removesuffix('s') if high == 1 else unit}"
    return f"about {low_text} to {high_text} {unit}"


def parse_parts(names: list[str] | None) -> tuple[str, ...]:
    """`--only` values as parts, in drill order; ValueError names what is unknown."""
    if not names:
        return PARTS
    wanted = {part for name in names for part in ALIASES.get(name, (name,))}
    if unknown := wanted - set(PARTS):
        choices = ", ".join([*PARTS, *ALIASES])
        raise ValueError(f"{', '.join(sorted(unknown))}: choose from {choices}")
    return tuple(part for part in PARTS if part in wanted)


def drill_steps(calm_seconds: float, parts: tuple[str, ...] = PARTS) -> list[Step]:
    """The model's parts first (they run against the shipped reference), then the service's."""
    steps = []
    if "drift" in parts or "accuracy" in parts:
        steps += _model_steps(calm_seconds, parts)
    if "service" in parts:
        if not steps:
            steps.append(_calm_step(calm_seconds))
        steps += _service_steps()
    return steps


@dataclass
class StepResult:
    step: Step
    seconds: float
    reached: bool
    transitions: list[Transition] = field(default_factory=list)
    started: float = 0.0
    """time.time() at the step's start."""


async def _traffic(
    url: str, step: Step, rps: float, error_rate: float, stop: asyncio.Event
) -> None:
    scenario = build_scenario(step.scenario, error_rate=error_rate, feedback=step.feedback)
    run = TrafficRun(url, concurrency=max(8, int(rps * 4)))
    rng, tasks = random.Random(), set()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        send = HttpSender(client)
        while not stop.is_set():
            stats = PhaseStats(1, step.scenario, rps * scenario.rate_factor, CHUNK_SECONDS)
            await run_phase(run, stats, scenario, send, rng, tasks)
        if tasks:
            await asyncio.wait(set(tasks), timeout=10)


async def run_step(
    step: Step,
    *,
    api_url: str,
    watcher: AlertWatcher,
    rps: float,
    error_rate: float,
    timeout: float,
    on_transition: Callable[[Step, float, Transition], None],
    poll_seconds: float = 1.0,
) -> StepResult:
    """Send the step's traffic until its goal is seen or `timeout` seconds pass."""
    stop = asyncio.Event()
    started_wall, started = time.time(), time.monotonic()
    traffic = asyncio.create_task(_traffic(api_url, step, rps, error_rate, stop))
    result = StepResult(step, 0.0, reached=False, started=started_wall)
    try:
        while (elapsed := time.monotonic() - started) < timeout:
            if traffic.done():
                traffic.result()  # raises what stopped the traffic
            for transition in await asyncio.to_thread(watcher.poll):
                result.transitions.append(transition)
                on_transition(step, transition.at - started_wall, transition)
            if step.done(watcher, elapsed):
                result.reached = True
                break
            await asyncio.sleep(poll_seconds)
    finally:
        stop.set()
        await traffic
    result.seconds = time.monotonic() - started
    return result

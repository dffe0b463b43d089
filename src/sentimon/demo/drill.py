"""The alert drill: traffic that walks the alerts from calm to firing to resolved.

Each step sends one traffic scenario until the alert state it waits for is seen (or its
time runs out), while a watcher reports every state change in Prometheus, Alertmanager
and the webhook receiver, timed from the start of the step that caused it.
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
WATCHED = frozenset({"HighErrorRate", "LowModelConfidence"})


@dataclass(frozen=True)
class Step:
    title: str
    scenario: str
    goal: str
    done: Callable[[AlertWatcher, float], bool]
    """Given the watcher and the seconds since the step began."""


def _received(alertname: str, status: str) -> Callable[[AlertWatcher, float], bool]:
    severity = "critical" if alertname == "HighErrorRate" else "warning"
    return lambda watcher, _: watcher.state("receiver", alertname, severity) == status


def _calm(seconds: float) -> Callable[[AlertWatcher, float], bool]:
    def calm(watcher: AlertWatcher, elapsed: float) -> bool:
        firing = any(
            key.source == "prometheus" and state != "inactive"
            for key, state in watcher.states.items()
        )
        return elapsed >= seconds and not firing

    return calm


def drill_steps(calm_seconds: float) -> list[Step]:
    return [
        Step("calm", "normal", f"{calm_seconds:.0f} s of normal traffic, no alert active",
             _calm(calm_seconds)),
        Step("errors", "errors", "HighErrorRate (critical) notified",
             _received("HighErrorRate", "firing")),
        Step("recovery", "normal", "HighErrorRate resolved",
             _received("HighErrorRate", "resolved")),
        Step("low confidence", "low-confidence", "LowModelConfidence notified",
             _received("LowModelConfidence", "firing")),
        Step("recovery", "normal", "LowModelConfidence resolved",
             _received("LowModelConfidence", "resolved")),
    ]  # fmt: skip


@dataclass
class StepResult:
    step: Step
    seconds: float
    reached: bool
    transitions: list[Transition] = field(default_factory=list)
    started: float = 0.0
    """time.time() at the step's start."""


async def _traffic(
    url: str, scenario_name: str, rps: float, error_rate: float, stop: asyncio.Event
) -> None:
    scenario = build_scenario(scenario_name, error_rate=error_rate)
    run = TrafficRun(url, concurrency=max(8, int(rps * 4)))
    rng, tasks = random.Random(), set()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        send = HttpSender(client)
        while not stop.is_set():
            stats = PhaseStats(1, scenario_name, rps * scenario.rate_factor, CHUNK_SECONDS)
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
    traffic = asyncio.create_task(_traffic(api_url, step.scenario, rps, error_rate, stop))
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

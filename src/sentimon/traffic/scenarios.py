"""Scenarios (what each request carries, at what rate) and the `--scenario` chain syntax."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from sentimon.traffic.corpus import drift_sentences, low_confidence_texts, normal_texts

# The header the API honours when SENTIMON_FAULT_INJECTION=1 (api/routes/predict.py).
FAULT_HEADER = "X-Inject-Fault"
SPIKE_FACTOR = 10
# A drift text joins this many out-of-domain sentences: 40 to 150 tokens, against about
# 11 for everyday feedback, so some run past the 128-token model window (truncated).
_DRIFT_SENTENCES = (4, 14)


@dataclass(frozen=True, slots=True)
class TrafficRequest:
    """One POST /predict: its text and the fault it asks the API to inject, if any."""

    text: str
    fault: str | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    rate_factor: float  # multiplies --rps
    draw: Callable[[random.Random], TrafficRequest]


# Name -> what it does, in the order --help and the docs list them.
SCENARIOS: dict[str, str] = {
    "normal": "everyday feedback: positive, negative and neutral texts from the shipped corpus",
    "errors": "normal texts; --error-rate percent of them ask for a 500 (X-Inject-Fault: error)",
    "low-confidence": "ambiguous and out-of-domain texts the shipped model is unsure of",
    "slow": "normal texts, each asking for a slow answer (X-Inject-Fault: slow)",
    "drift": "long texts from other fields and languages, full of words the model never saw",
    "spike": f"normal texts at {SPIKE_FACTOR} times --rps",
}


def _pick(texts: tuple[str, ...]) -> Callable[[random.Random], TrafficRequest]:
    return lambda rng: TrafficRequest(rng.choice(texts))


def _errors(share: float) -> Callable[[random.Random], TrafficRequest]:
    texts = normal_texts()
    return lambda rng: TrafficRequest(rng.choice(texts), "error" if rng.random() < share else None)


def _slow() -> Callable[[random.Random], TrafficRequest]:
    texts = normal_texts()
    return lambda rng: TrafficRequest(rng.choice(texts), "slow")


def _drift() -> Callable[[random.Random], TrafficRequest]:
    sentences = drift_sentences()
    return lambda rng: TrafficRequest(
        " ".join(rng.sample(sentences, rng.randint(*_DRIFT_SENTENCES)))
    )


def build_scenario(name: str, *, error_rate: float = 70.0) -> Scenario:
    """The scenario called `name`; `error_rate` (percent) applies to `errors` only."""
    if name == "normal":
        return Scenario(name, 1, _pick(normal_texts()))
    if name == "errors":
        return Scenario(name, 1, _errors(error_rate / 100))
    if name == "low-confidence":
        return Scenario(name, 1, _pick(low_confidence_texts()))
    if name == "slow":
        return Scenario(name, 1, _slow())
    if name == "drift":
        return Scenario(name, 1, _drift())
    if name == "spike":
        return Scenario(name, SPIKE_FACTOR, _pick(normal_texts()))
    raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")


@dataclass(frozen=True, slots=True)
class Phase:
    """One link of the chain: a scenario run for `seconds`."""

    scenario: str
    seconds: float


class ChainError(ValueError):
    """A `--scenario` value that does not parse; the message says how to fix it."""


def _seconds(item: str, value: str) -> float:
    try:
        seconds = float(value.removesuffix("s"))
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        name = item.partition(":")[0]
        raise ChainError(f"{item!r}: seconds must be a positive number, as in {name}:60")
    return seconds


def parse_chain(spec: str, default_seconds: float) -> list[Phase]:
    """Parse `normal:60,errors:120,normal`; a phase without `:seconds` lasts `default_seconds`."""
    if not spec.strip():
        raise ChainError("no scenario given; write one or a chain, as in normal:60,errors:120")
    phases = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            raise ChainError(f"empty phase in {spec!r}: remove the extra comma")
        name, colon, value = (part.strip() for part in item.partition(":"))
        if name not in SCENARIOS:
            raise ChainError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
        phases.append(Phase(name, _seconds(item, value) if colon else default_seconds))
    return phases

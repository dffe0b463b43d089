"""Scenarios (what each request carries, at what rate) and the `--scenario` chain syntax."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from sentimon.traffic.bad_input import bad_inputs
from sentimon.traffic.corpus import (
    LabelledText,
    drift_sentences,
    labelled_normal_texts,
    low_confidence_texts,
    world_change_texts,
)
from sentimon.traffic.endpoints import BATCH, BATCH_TEXTS, DEFAULT_MIX, PREDICT, EndpointMix

# The header the API honours when SENTIMON_FAULT_INJECTION=1 (api/routes/predict.py).
FAULT_HEADER = "X-Inject-Fault"
SPIKE_FACTOR = 10
# A drift text joins this many out-of-domain sentences: 40 to 150 tokens, against about
# 23 for everyday feedback, so some run past the 128-token model window (truncated).
_DRIFT_SENTENCES = (4, 14)


@dataclass(frozen=True, slots=True)
class TrafficRequest:
    """One request: its text, the fault it asks the API to inject, and its feedback.

    `true_label` is known for texts from labelled pools; with `feedback` set, a successful
    prediction is followed by POST /feedback with that label. A /predict/batch request
    carries its texts and labels in `batch` (`text` is the first of them) and is followed
    by one POST /feedback per text. A request with `bad` set is a kind of bad input
    (bad_input.py) and carries that kind's body instead of `text`.
    """

    text: str
    fault: str | None = None
    true_label: str | None = None
    feedback: bool = False
    path: str = PREDICT
    batch: tuple[LabelledText, ...] = ()
    bad: str | None = None

    def labelled(self) -> tuple[tuple[str, str | None], ...]:
        """(text, true label) of every text the request classifies, in order."""
        if self.batch:
            return tuple((item.text, item.label) for item in self.batch)
        return ((self.text, self.true_label),)

    @property
    def feedback_wanted(self) -> int:
        """How many POST /feedback a successful answer is to be followed by."""
        if not self.feedback or self.bad:
            return 0
        return sum(label is not None for _, label in self.labelled())


Draw = Callable[[random.Random], TrafficRequest]  # one request, chosen with the run's rng


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    rate_factor: float  # multiplies --rps
    draw: Draw


# Name -> what it does, in the order --help and the docs list them.
SCENARIOS: dict[str, str] = {
    "normal": "everyday feedback: positive, negative and neutral texts from the shipped corpus, "
    "to /predict, /predict/batch and /explain as --endpoints shares them",
    "errors": "normal texts; --error-rate percent of them ask for a 500 (X-Inject-Fault: error)",
    "low-confidence": "ambiguous and out-of-domain texts the shipped model is unsure of",
    "slow": "normal texts, each asking for a slow answer (X-Inject-Fault: slow)",
    "drift": "long texts from other fields and languages, full of words the model never saw",
    "spike": f"normal traffic at {SPIKE_FACTOR} times --rps",
    "world-change": "everyday-looking feedback in sarcasm and new slang that the model "
    "mostly gets wrong, confidently; with --feedback its real accuracy falls",
}


def _pick(texts: tuple[str, ...]) -> Draw:
    return lambda rng: TrafficRequest(rng.choice(texts))


def _pick_labelled(
    pool: tuple[LabelledText, ...],
    feedback_share: float,
    fault: Callable[[random.Random], str | None] = lambda rng: None,
) -> Draw:
    """Draw from a labelled pool: each request carries its text's true label."""

    def draw(rng: random.Random) -> TrafficRequest:
        item = rng.choice(pool)
        asked = fault(rng)
        # Drawn even without feedback, so that a --seed picks the same texts either way.
        wants_feedback = rng.random() < feedback_share
        return TrafficRequest(item.text, asked, item.label, wants_feedback)

    return draw


def _pick_mixed(pool: tuple[LabelledText, ...], feedback_share: float, mix: EndpointMix) -> Draw:
    """Draw from a labelled pool for a route of the mix; a batch holds a few texts."""
    single = _pick_labelled(pool, feedback_share)

    def draw(rng: random.Random) -> TrafficRequest:
        path = mix.choose(rng)
        if path != BATCH:
            request = single(rng)
            return request if path == PREDICT else replace(request, path=path)
        items = tuple(rng.choice(pool) for _ in range(rng.randint(*BATCH_TEXTS)))
        wants_feedback = rng.random() < feedback_share
        first = items[0]
        return TrafficRequest(first.text, None, first.label, wants_feedback, path, items)

    return draw


def _with_bad_input(draw: Draw, share: float) -> Draw:
    """`share` of requests replaced by a bad one, its kind drawn uniformly."""
    if share <= 0:
        return draw  # draws nothing more, so a --seed picks what it picked before
    kinds = bad_inputs()
    names = tuple(kinds)

    def with_bad(rng: random.Random) -> TrafficRequest:
        if rng.random() >= share:
            return draw(rng)
        kind = kinds[rng.choice(names)]
        return TrafficRequest("", path=kind.path, bad=kind.name)

    return with_bad


def _error_fault(share: float) -> Callable[[random.Random], str | None]:
    return lambda rng: "error" if rng.random() < share else None


def _drift() -> Draw:
    sentences = drift_sentences()
    return lambda rng: TrafficRequest(
        " ".join(rng.sample(sentences, rng.randint(*_DRIFT_SENTENCES)))
    )


# The scenarios whose requests follow the --endpoints mix: everyday traffic. The others
# stay on /predict: the API honours X-Inject-Fault there only (errors, slow), and each
# one-text request keeps the rates and timings docs/traffic.md gives for their alerts.
MIXED_SCENARIOS = frozenset({"normal", "spike"})


def build_scenario(
    name: str,
    *,
    error_rate: float = 70.0,
    feedback: float = 0.0,
    bad_input: float = 0.0,
    endpoints: EndpointMix = DEFAULT_MIX,
) -> Scenario:
    """The scenario called `name`.

    Args:
        name: one of SCENARIOS.
        error_rate: percent of `errors` requests that ask for a 500.
        feedback: percent of requests with a known true label (every scenario but
            low-confidence and drift) that send it to POST /feedback after a
            successful prediction; 0 sends none.
        bad_input: percent of requests replaced by bad input the API must refuse with
            a 4xx (bad_input.py), in every scenario; 0 sends none.
        endpoints: the routes of `normal` and `spike` requests (MIXED_SCENARIOS).
    """
    for option, value in (("feedback", feedback), ("bad_input", bad_input)):
        if not 0 <= value <= 100:
            raise ValueError(f"{option} must be a percent from 0 to 100, not {value!r}")
    scenario = _build(name, error_rate, feedback / 100, endpoints)
    return replace(scenario, draw=_with_bad_input(scenario.draw, bad_input / 100))


def _build(name: str, error_rate: float, share: float, endpoints: EndpointMix) -> Scenario:
    if name == "normal":
        return Scenario(name, 1, _pick_mixed(labelled_normal_texts(), share, endpoints))
    if name == "errors":
        fault = _error_fault(error_rate / 100)
        return Scenario(name, 1, _pick_labelled(labelled_normal_texts(), share, fault))
    if name == "low-confidence":
        return Scenario(name, 1, _pick(low_confidence_texts()))
    if name == "slow":
        return Scenario(name, 1, _pick_labelled(labelled_normal_texts(), share, lambda rng: "slow"))
    if name == "drift":
        return Scenario(name, 1, _drift())
    if name == "spike":
        draw = _pick_mixed(labelled_normal_texts(), share, endpoints)
        return Scenario(name, SPIKE_FACTOR, draw)
    if name == "world-change":
        return Scenario(name, 1, _pick_labelled(world_change_texts(), share))
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


def draw_texts(name: str, n: int, seed: int = 0) -> list[str]:
    """The first ``n`` texts the scenario's requests would classify (batches counted text by
    text), drawn as `sentimon traffic` draws them: what the model sees of that traffic."""
    draw, rng = build_scenario(name).draw, random.Random(seed)
    texts: list[str] = []
    while len(texts) < n:
        texts += [text for text, _ in draw(rng).labelled()]
    return texts[:n]

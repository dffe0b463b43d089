"""Which classification route a request goes to: the `--endpoints` mix and its syntax."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# Mix name -> the API's route (and so its `handler` label in http_requests_total).
PATHS = {"predict": "/predict", "batch": "/predict/batch", "explain": "/explain"}
PREDICT = PATHS["predict"]
BATCH = PATHS["batch"]
EXPLAIN = PATHS["explain"]

# Texts in one /predict/batch request of the mix: a few, as a client batching a form's
# fields would send, far below the API's limit (SENTIMON_MAX_BATCH, 64).
BATCH_TEXTS = (2, 5)


class MixError(ValueError):
    """An `--endpoints` value that does not parse; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class EndpointMix:
    """Shares of requests per route, as weights (normalised; they need not add up to 100)."""

    weights: tuple[tuple[str, float], ...]  # (path, weight > 0), in PATHS order

    def choose(self, rng: random.Random) -> str:
        """A route drawn with the mix's shares; a single-route mix draws nothing."""
        if len(self.weights) == 1:
            return self.weights[0][0]
        paths = [path for path, _ in self.weights]
        return rng.choices(paths, [w for _, w in self.weights])[0]

    def shares(self) -> dict[str, float]:
        """Route -> share of requests, from 0 to 1."""
        total = sum(w for _, w in self.weights)
        return {path: w / total for path, w in self.weights}

    def spec(self) -> str:
        """The mix as `--endpoints` takes it."""
        names = {path: name for name, path in PATHS.items()}
        return ",".join(f"{names[path]}={w:g}" for path, w in self.weights)


def parse_mix(spec: str) -> EndpointMix:
    """Parse `predict=80,batch=10,explain=10`; a route left out gets no requests."""
    found: dict[str, float] = {}
    for raw in spec.split(","):
        item = raw.strip()
        name, equals, value = (part.strip() for part in item.partition("="))
        if name not in PATHS:
            raise MixError(
                f"{item!r}: expected name=weight with name one of {', '.join(PATHS)}, "
                "as in predict=80,batch=10,explain=10"
            )
        if name in found:
            raise MixError(f"{name!r} is given twice in {spec!r}")
        try:
            weight = float(value) if equals else math.nan
        except ValueError:
            weight = math.nan
        if not (math.isfinite(weight) and weight >= 0):
            raise MixError(f"{item!r}: the weight must be a number from 0 up, as in {name}=10")
        found[name] = weight
    weights = tuple((PATHS[n], found[n]) for n in PATHS if found.get(n, 0) > 0)
    if not weights:
        raise MixError(f"{spec!r} gives every route a weight of 0: give one a share")
    return EndpointMix(weights)


# What `normal` and `spike` send unless told otherwise: mostly single predictions, and
# enough batches and explanations that every route's panels have data.
DEFAULT_MIX = parse_mix("predict=80,batch=10,explain=10")
PREDICT_ONLY = parse_mix("predict=1")

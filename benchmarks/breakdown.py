"""Where a request's CPU goes: the apps called in one process, no HTTP server, rounds interleaved.

    python benchmarks/breakdown.py [--rounds 7] [--json results.json]

Calls each app's ASGI interface directly with the POST /predict wrk sends and
measures the process's CPU time per request:

- (a) the bare framework (benchmarks/bare_app.py);
- (b) sentimon with metrics and logs off;
- (b) with the model stubbed: a fixed prediction, no tokenizer, no onnxruntime;
- (c) sentimon as shipped, logging configured as `sentimon serve` does it.

All run in one process, so that they share its memory layout and caches, and
each round runs them in turn. (b) minus the stubbed (b) is what the model costs
inside a request, caches and all; it is more than the model alone costs in a
tight loop (benchmarks/model.py), since the rest of the request evicts its
weights from the CPU's caches.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

import uvloop
from bare_app import app as bare_app
from harness import asgi_post, print_results

from sentimon.api.app import create_app
from sentimon.model.runtime import Prediction
from sentimon.settings import Settings

_FIXED = Prediction(
    label="positive",
    confidence=0.97,
    scores={"negative": 0.01, "neutral": 0.02, "positive": 0.97},
    tokens=15,
    truncated=False,
    unknown_tokens=0,
)


class StubbedModel:
    """Stands in for the Predictor: the same names, a fixed answer."""

    def __init__(self, real) -> None:
        self.name, self.version = real.name, real.version

    def predict(self, text: str) -> Prediction:
        return _FIXED


async def _cpu_per_request(app, calls: int) -> float:
    for _ in range(calls // 10):  # warm-up
        await asgi_post(app)
    started = time.process_time()
    for i in range(calls):
        await asgi_post(app)
        if i % 8 == 7:
            await asyncio.sleep(0)  # let the log writer and the loop's callbacks run
    return (time.process_time() - started) / calls * 1e6


async def measure(rounds: int, calls: int) -> dict:
    quiet = Settings(metrics_enabled=False, access_log=False, log_dir=None)
    log_dir = Path(tempfile.mkdtemp(prefix="sentimon-breakdown-"))
    # (c) logs as served: to its file, and to a stdout that is /dev/null while it runs.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        apps = {
            "a": bare_app,
            "b": create_app(quiet),
            "b_stubbed_model": create_app(quiet),
            # Built last: each create_app configures logging, and the last one keeps it.
            "c": create_app(Settings(log_dir=log_dir)),
        }
        samples: dict[str, list[float]] = {key: [] for key in apps}
        async with AsyncExitStack() as stack:
            for key, app in apps.items():
                if key != "a":
                    await stack.enter_async_context(app.router.lifespan_context(app))
            stubbed = apps["b_stubbed_model"]
            stubbed.state.predictor = StubbedModel(stubbed.state.predictor)
            for _ in range(rounds):
                for key, app in apps.items():
                    samples[key].append(await _cpu_per_request(app, calls))
    medians = {key: round(statistics.median(v), 1) for key, v in samples.items()}
    return {
        "cpu_us_per_request": medians,
        "samples_us": {key: [round(s, 1) for s in v] for key, v in samples.items()},
        "model_in_request_us": round(medians["b"] - medians["b_stubbed_model"], 1),
        "rounds": rounds,
        "calls_per_round": calls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000, help="requests per app per round")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    print_results(uvloop.run(measure(args.rounds, args.calls)), args.json)


if __name__ == "__main__":
    main()

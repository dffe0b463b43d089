"""The model alone: single-text latency, batch throughput, latency against text length.

    python benchmarks/model.py [--threads 1] [--model-dir DIR] [--json results.json]
    python benchmarks/model.py --against OLD_DIR [--against ...]   # side by side

With --against, the single-text latency of each model directory is measured in
interleaved rounds in one process, and each is given as a ratio to --model-dir's.

No HTTP, no metrics, no logs: just tokenizer + onnxruntime, as `Predictor` runs them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from harness import TEXT, machine, print_results

from sentimon.model.runtime import Predictor
from sentimon.settings import Settings

TWEET = TEXT  # the body the HTTP benchmarks send


def _latencies(fn, repeat: int, warmup: int = 200) -> np.ndarray:
    for _ in range(warmup):
        fn()
    samples = np.empty(repeat)
    for i in range(repeat):
        start = time.perf_counter()
        fn()
        samples[i] = time.perf_counter() - start
    return samples


def _summary_us(samples: np.ndarray) -> dict:
    p50, p99 = np.percentile(samples, [50, 99]) * 1e6
    return {"p50_us": round(float(p50), 1), "p99_us": round(float(p99), 1), "n": len(samples)}


def run(model_dir: Path, threads: int, repeat: int) -> dict:
    start = time.perf_counter()
    predictor = Predictor.load(model_dir, threads=threads, device="cpu")
    load_s = time.perf_counter() - start

    single = _summary_us(_latencies(lambda: predictor.predict(TWEET), repeat))
    by_length = {}
    words = (TWEET + " ") * 100
    for chars in (10, 100, 1000, 5000):
        text = words[:chars]
        read = predictor.predict(text)
        by_length[chars] = {
            **_summary_us(
                _latencies(lambda t=text: predictor.predict(t), max(repeat // 5, 200), 50)
            ),
            "tokens": read.tokens,
            "truncated": read.truncated,
        }

    batch = {}
    for size in (1, 8, 32, 64):
        texts = [TWEET] * size
        samples = _latencies(lambda t=texts: predictor.predict_batch(t), max(repeat // 10, 100), 20)
        batch[size] = {
            "texts_per_s": round(size / statistics.median(samples)),
            **_summary_us(samples),
        }

    return {
        "machine": machine(),
        "model": {
            "name": predictor.name,
            "version": predictor.version,
            "tokens_in_tweet": predictor.predict(TWEET).tokens,
        },
        "threads": threads,
        "load_and_probe_s": round(load_s, 3),
        "single_text": single,
        "latency_by_text_chars": by_length,
        "batch": batch,
    }


def compare(model_dirs: list[Path], threads: int, repeat: int, rounds: int = 5) -> dict:
    """Single-text latency of several models, interleaved round by round so that whatever
    else the machine does falls on all of them alike."""
    predictors = {str(d): Predictor.load(d, threads=threads, device="cpu") for d in model_dirs}
    samples: dict[str, list[np.ndarray]] = {name: [] for name in predictors}
    for _ in range(rounds):
        for name, predictor in predictors.items():
            samples[name].append(
                _latencies(lambda p=predictor: p.predict(TWEET), repeat // rounds, 100)
            )
    first = None
    models = {}
    for name, predictor in predictors.items():
        summary = _summary_us(np.concatenate(samples[name]))
        first = first or summary["p50_us"]
        models[name] = {
            "name": predictor.name,
            "version": predictor.version,
            **summary,
            "p50_ratio_to_first": round(summary["p50_us"] / first, 3),
        }
    return {
        "machine": machine(),
        "threads": threads,
        "rounds": rounds,
        "text": TWEET,
        "single_text": models,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model-dir", type=Path, default=Settings().model_dir)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        help="another model directory to time beside --model-dir (repeatable)",
    )
    args = parser.parse_args()
    if args.against:
        results = compare([args.model_dir, *args.against], args.threads, args.repeat)
    else:
        results = run(args.model_dir, args.threads, args.repeat)
    print_results(results, args.json)


if __name__ == "__main__":
    main()

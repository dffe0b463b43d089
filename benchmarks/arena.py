"""What shrinking onnxruntime's arena after every run costs: CPU time and page faults per run.

    python benchmarks/arena.py [--rounds 25] [--json results.json]

Two sessions of the shipped model with the shipped options, in one process, glibc's
mmap threshold pinned as `Predictor` pins it: one runs as `Predictor` does (the arena
gives back the regions it no longer uses at the end of each run), the other keeps its
arena, as onnxruntime does by default. Rounds alternate the two over inputs from one
tweet to 64 texts at the full window; each figure is the median over the rounds of the
thread's CPU time, which other load on the machine moves less than wall time.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

import onnxruntime as ort
from harness import TEXT, machine, print_results

from sentimon.model.artifact import load_artifact

# The runtime's own options, so that this measures what ships.
from sentimon.model.runtime import _keep_large_blocks_mapped, _run_options, _session_options
from sentimon.model.tokenizer import pad_batch
from sentimon.settings import Settings

LONG = ((TEXT + " ") * 70)[:5000]
INPUTS = {  # name: (texts, runs per round)
    "1 tweet": ([TEXT], 40),
    "1 text of 5,000 characters": ([LONG], 10),
    "8 tweets": ([TEXT] * 8, 10),
    "64 tweets": ([TEXT] * 64, 4),
    "64 texts of 5,000 characters": ([LONG] * 64, 1),
}


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt


def run(rounds: int) -> dict:
    artifact = load_artifact(Settings().model_dir)
    _keep_large_blocks_mapped()
    sessions = {
        name: (
            ort.InferenceSession(
                artifact.onnx_bytes, _session_options(1), providers=["CPUExecutionProvider"]
            ),
            options,
        )
        for name, options in (("arena kept", None), ("arena shrunk", _run_options()))
    }
    feeds = {}
    for name, (texts, _) in INPUTS.items():
        ids, lengths = pad_batch([artifact.vocabulary.encode(t) for t in texts])
        feeds[name] = {"token_ids": ids, "lengths": lengths}
    cpu = {s: {i: [] for i in INPUTS} for s in sessions}
    faults = {s: {i: [] for i in INPUTS} for s in sessions}
    for session, options in sessions.values():  # warm-up
        for feed in feeds.values():
            session.run(None, feed, options)
    for _ in range(rounds):
        for name, (session, options) in sessions.items():
            for item, (_, repeat) in INPUTS.items():
                for _ in range(repeat):
                    before, started = _faults(), time.thread_time()
                    session.run(None, feeds[item], options)
                    cpu[name][item].append(time.thread_time() - started)
                    faults[name][item].append(_faults() - before)
    kept = "arena kept"
    results = {}
    for item in INPUTS:
        row = {}
        for name in sessions:
            row[name] = {
                "cpu_us": round(statistics.median(cpu[name][item]) * 1e6, 1),
                "page_faults": statistics.median(faults[name][item]),
            }
        row["cpu_ratio"] = round(row["arena shrunk"]["cpu_us"] / row[kept]["cpu_us"], 3)
        results[item] = row
    return {"machine": machine(), "rounds": rounds, "per_run": results}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    print_results(run(args.rounds), args.json)


if __name__ == "__main__":
    main()

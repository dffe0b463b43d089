"""The price of observability: sentimon with metrics and logging on versus off.

    python benchmarks/observability.py [--seconds 10] [--rounds 3]

Both servers run side by side; rounds alternate between them so that drift in
the machine's speed hits both alike. The server is pinned to CPU 0 and wrk to
CPU 1 where `taskset` exists. Reports requests/s at 8 connections and the ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from harness import server, wrk

SERVE = [sys.executable, "-m", "sentimon", "serve"]
VARIANTS = {
    "on": {},
    "off": {"SENTIMON_METRICS_ENABLED": "0", "SENTIMON_ACCESS_LOG": "0"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    with server(SERVE, VARIANTS["on"], cpus="0") as (on_url, _, _), server(SERVE, VARIANTS["off"], cpus="0") as (off_url, _, _):
        urls = {"on": on_url, "off": off_url}
        for name, url in urls.items():  # warm up
            wrk(url, connections=args.connections, seconds=2, cpus="1")
        for _ in range(args.rounds):
            for name, url in urls.items():
                runs[name].append(wrk(url, connections=args.connections, seconds=args.seconds, cpus="1"))
    result = {
        name: {
            "rps": statistics.median(r["rps"] for r in rs),
            "p50_ms": statistics.median(r["p50_ms"] for r in rs),
            "p99_ms": statistics.median(r["p99_ms"] for r in rs),
            "rounds": rs,
        }
        for name, rs in runs.items()
    }
    result["ratio_on_over_off"] = round(result["on"]["rps"] / result["off"]["rps"], 3)
    print(json.dumps(result, indent=2))  # noqa: T201 - the benchmark's report


if __name__ == "__main__":
    main()

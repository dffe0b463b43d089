"""`make bench`: sentimon over HTTP against the bare framework, the model alone, start-up time.

    python benchmarks/run.py            # about 6 minutes; writes results/latest.json
                                        # and the figures in docs/performance.md
    python benchmarks/run.py --quick    # about 1 minute; prints, writes nothing

Four servers run side by side on loopback: (a) the bare framework
(benchmarks/bare_app.py), (b) sentimon with metrics and the access log off,
(c) sentimon as shipped, (d) sentimon --workers 2. wrk POSTs one tweet to
/predict at 1 and at 8 connections; rounds alternate a, b, c, d so that drift in
the machine's speed hits all alike, and each figure is the median of the rounds.
On a machine with two CPUs or more, single-process servers run on CPU 0 and wrk
on CPU 1; (d) and its wrk are not pinned, since two workers need both CPUs.
After the rounds, (c) and (d) are soaked with texts of 1 to 5,000 characters
(/predict and /predict/batch of up to 64) and their resident memory read again:
the memory target is judged on that figure.
The model alone, the start-up time and the in-process breakdown
(benchmarks/breakdown.py) are measured first, on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from harness import (
    REPO,
    clean_env,
    cpus_for_pinning,
    free_port,
    load_average,
    machine,
    process_memory,
    sentimon_command,
    server,
    soak,
    wait_until,
    wrk,
)
from report import render, targets, update_doc

RESULTS = REPO / "benchmarks" / "results" / "latest.json"
DOC = REPO / "docs" / "performance.md"
CONCURRENCY = (1, 8)
SOAKED = ("c", "d")  # the variants the memory target covers
SOAK_CONNECTIONS = 8


@dataclass
class Variant:
    name: str
    shown: str  # the command as the docs show it
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    pinned: bool = True  # server on one CPU, wrk on another


def _variants() -> dict[str, Variant]:
    serve = [*sentimon_command(), "serve"]
    bare = [sys.executable, str(Path(__file__).with_name("bare_app.py"))]
    quiet = {"SENTIMON_METRICS_ENABLED": "0", "SENTIMON_ACCESS_LOG": "0", "SENTIMON_LOG_DIR": ""}
    return {
        "a": Variant("bare FastAPI", "python benchmarks/bare_app.py", bare),
        "b": Variant("sentimon, metrics and logs off", "sentimon serve", serve, quiet),
        "c": Variant("sentimon as shipped", "sentimon serve", serve),
        "d": Variant(
            "sentimon, 2 workers",
            "sentimon serve --workers 2",
            [*serve, "--workers", "2"],
            pinned=False,
        ),
    }


@dataclass
class Plan:
    rounds: int
    seconds: float
    warmup_seconds: float
    model_repeat: int
    startups: int
    breakdown_rounds: int
    soak_requests: int


FULL = Plan(
    rounds=5,
    seconds=6,
    warmup_seconds=3,
    model_repeat=5000,
    startups=5,
    breakdown_rounds=7,
    soak_requests=1000,
)
QUICK = Plan(
    rounds=1,
    seconds=3,
    warmup_seconds=1,
    model_repeat=500,
    startups=2,
    breakdown_rounds=2,
    soak_requests=100,
)


def _median(runs: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


def measure_http(plan: Plan) -> dict:
    """Every variant at every concurrency, rounds interleaved; medians, rounds and memory;
    then the soak and memory after it."""
    server_cpus, wrk_cpus = cpus_for_pinning()
    variants = _variants()
    runs: dict[str, dict[int, list[dict]]] = {k: {c: [] for c in CONCURRENCY} for k in variants}
    with ExitStack() as stack:
        servers = {}
        for key, v in variants.items():
            cpus = server_cpus if v.pinned else None
            servers[key] = stack.enter_context(server(v.command, v.env, cpus=cpus))
        for key, srv in servers.items():  # warm-up: imports, caches, branch predictors
            wrk(srv.url, 8, plan.warmup_seconds, _wrk_cpus(variants[key], wrk_cpus))
        for _ in range(plan.rounds):
            for key, srv in servers.items():
                cpus = _wrk_cpus(variants[key], wrk_cpus)
                for connections in CONCURRENCY:
                    result = wrk(srv.url, connections, plan.seconds, cpus, srv.process.pid)
                    runs[key][connections].append(result)
        memory = {key: process_memory(srv.process.pid) for key, srv in servers.items()}
        soaked = {
            key: soak(servers[key].url, plan.soak_requests, SOAK_CONNECTIONS)
            | {"processes": process_memory(servers[key].process.pid)}
            for key in SOAKED
        }

    results = {}
    for key, v in variants.items():
        c1, c8 = runs[key][1], runs[key][8]
        results[key] = {
            "name": v.name,
            "command": v.shown,
            "env": v.env,
            "pinned": v.pinned and server_cpus is not None,
            "rps_c8": _median(c8, "rps"),
            "rps_c8_range": [min(r["rps"] for r in c8), max(r["rps"] for r in c8)],
            "cpu_us_per_request_c8": _median(c8, "cpu_us_per_request"),
            "p50_ms_c1": _median(c1, "p50_ms"),
            "p99_ms_c1": _median(c1, "p99_ms"),
            "p50_ms_c8": _median(c8, "p50_ms"),
            "p99_ms_c8": _median(c8, "p99_ms"),
            "rps_c1": _median(c1, "rps"),
            "processes": memory[key],
            "rounds": {f"c{c}": runs[key][c] for c in CONCURRENCY},
        }
    bare = results["a"]
    for r in results.values():
        r["vs_bare"] = {
            "rps_c8": round(r["rps_c8"] / bare["rps_c8"], 3),
            "p50_ms_c1": round(r["p50_ms_c1"] / bare["p50_ms_c1"], 3),
            "p99_ms_c1": round(r["p99_ms_c1"] / bare["p99_ms_c1"], 3),
            "cpu_us_per_request_c8": round(
                r["cpu_us_per_request_c8"] / bare["cpu_us_per_request_c8"], 3
            ),
        }
    return {
        "cpus": {"server": server_cpus, "wrk": wrk_cpus},
        "variants": results,
        "soak": {
            "requests": plan.soak_requests,
            "connections": SOAK_CONNECTIONS,
            "variants": soaked,
        },
    }


def _wrk_cpus(variant: Variant, wrk_cpus: str | None) -> str | None:
    return wrk_cpus if variant.pinned else None


def _pinned_script(script: str, *args: str) -> dict:
    """A benchmark script of this folder in its own process, on the CPU the servers had;
    its JSON results."""
    server_cpus, _ = cpus_for_pinning()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        command = [sys.executable, str(Path(__file__).with_name(script)), *args, "--json", str(out)]
        if server_cpus is not None:
            command = ["taskset", "-c", server_cpus, *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=clean_env({}))
        return json.loads(out.read_text())


def measure_model(plan: Plan) -> dict:
    """benchmarks/model.py: the model alone."""
    result = _pinned_script("model.py", "--repeat", str(plan.model_repeat))
    result.pop("machine", None)
    return result


def measure_breakdown(plan: Plan) -> dict:
    """benchmarks/breakdown.py: the apps called in process, the model stubbed out in one."""
    return _pinned_script("breakdown.py", "--rounds", str(plan.breakdown_rounds))


def measure_startup(plan: Plan) -> dict:
    """Seconds from spawning `sentimon serve` to the first 200 from /readyz; median of a few."""
    samples = []
    for _ in range(plan.startups):
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            env = clean_env({"SENTIMON_PORT": str(port), "SENTIMON_LOG_DIR": f"{tmp}/logs"})
            url = f"http://127.0.0.1:{port}/readyz"
            started = time.perf_counter()
            proc = subprocess.Popen(
                [*sentimon_command(), "serve"],
                env=env,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                wait_until(
                    lambda u=url: httpx.get(u, timeout=1).status_code == 200,
                    60,
                    "sentimon serve to be ready",
                    interval=0.005,
                )
                samples.append(time.perf_counter() - started)
            finally:
                proc.terminate()
                proc.wait(30)
    return {
        "median_s": round(statistics.median(samples), 3),
        "samples_s": [round(s, 3) for s in samples],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one short round, fewer samples; print only, write nothing",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help=f"rounds of wrk per variant ({FULL.rounds}; --quick: {QUICK.rounds})",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        help=f"length of each wrk run ({FULL.seconds:g} s; --quick: {QUICK.seconds:g} s)",
    )
    parser.add_argument("--json", type=Path, help=f"where to write the results ({RESULTS})")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.rounds:
        plan = replace(plan, rounds=args.rounds)
    if args.seconds:
        plan = replace(plan, seconds=args.seconds)

    command = " ".join(["python benchmarks/run.py", *sys.argv[1:]])
    if command == "python benchmarks/run.py":
        command = "make bench"
    started = time.perf_counter()
    results: dict = {
        "command": command,
        "machine": machine(),
        "plan": vars(plan),
        "load_average": {"before": load_average()},
    }
    # The model and start-up first, on a machine the HTTP rounds have not yet warmed
    # and filled with log files to write back.
    results["model"] = measure_model(plan)
    results["startup"] = measure_startup(plan)
    results["breakdown"] = measure_breakdown(plan)
    results["load_average"]["before_http"] = load_average()
    results["http"] = measure_http(plan)
    results["load_average"]["after"] = load_average()
    results["wall_seconds"] = round(time.perf_counter() - started)
    results["date"] = time.strftime("%Y-%m-%d")
    results["targets"] = targets(results)

    table = render(results)
    print(table)  # noqa: T201 - a benchmark's output is its report
    if args.quick and not args.json:
        return
    out = args.json or RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    if not args.quick:
        update_doc(DOC, table)


if __name__ == "__main__":
    main()

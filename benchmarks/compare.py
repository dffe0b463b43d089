"""Two or more sentimon servers under the same wrk load, rounds interleaved: what one change buys.

    python benchmarks/compare.py shipped noaccess,SENTIMON_ACCESS_LOG=0
    git worktree add /tmp/before HEAD~1
    python benchmarks/compare.py before@/tmp/before/src after

Each argument is `name[@src][,VAR=value...]`: a server runs `sentimon serve` with
the package from `src` (this checkout's when left out) and the variables given.
The servers run side by side, pinned to CPU 0 and wrk to CPU 1 as in
`benchmarks/run.py`; each round runs every server once, and the figures are the
median and the range over the rounds. Server CPU time per request is the figure
to compare: other load on the machine moves it far less than requests/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from harness import cpus_for_pinning, sentimon_command, server, wrk


@dataclass
class Candidate:
    name: str
    env: dict[str, str]


def parse_candidate(spec: str) -> Candidate:
    """`name[@src][,VAR=value...]` as a name and the environment its server gets."""
    head, *assignments = spec.split(",")
    name, _, src = head.partition("@")
    env = {}
    if src:
        if not (Path(src) / "sentimon").is_dir():
            raise SystemExit(f"{src} holds no sentimon package")
        env["PYTHONPATH"] = str(Path(src).resolve())
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep:
            raise SystemExit(f"{assignment!r} in {spec!r} is not VAR=value")
        env[key] = value
    return Candidate(name, env)


def _cell(values: list[float], digits: int = 0) -> str:
    median = statistics.median(values)
    return f"{median:,.{digits}f} ({min(values):,.{digits}f} to {max(values):,.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("candidates", nargs="+", metavar="name[@src][,VAR=value...]")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    candidates = [parse_candidate(spec) for spec in args.candidates]
    server_cpus, wrk_cpus = cpus_for_pinning()
    runs: dict[str, list[dict]] = {c.name: [] for c in candidates}
    with ExitStack() as stack:
        servers = {
            c.name: stack.enter_context(
                server([*sentimon_command(), "serve"], c.env, cpus=server_cpus)
            )
            for c in candidates
        }
        for srv in servers.values():
            wrk(srv.url, args.connections, 2, wrk_cpus)  # warm-up
        for _ in range(args.rounds):
            for name, srv in servers.items():
                result = wrk(srv.url, args.connections, args.seconds, wrk_cpus, srv.process.pid)
                runs[name].append(result)

    out = sys.stdout
    out.write(f"| server | req/s at {args.connections} | p50 | CPU per request (µs) |\n")
    out.write("| --- | ---: | ---: | ---: |\n")
    for name, results in runs.items():
        out.write(
            f"| {name} | {_cell([r['rps'] for r in results])} "
            f"| {statistics.median(r['p50_ms'] for r in results):.2f} ms "
            f"| {_cell([r['cpu_us_per_request'] for r in results])} |\n"
        )


if __name__ == "__main__":
    main()

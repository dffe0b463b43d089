"""`python -m sentimon.dashboards [--check] [--out DIR]`: write or check the dashboard JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sentimon.dashboards.generate import default_output_dir, stale_files, write_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sentimon.dashboards", description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=default_output_dir(), help="output directory [%(default)s]"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the files differ from the generator",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_files(args.out)
        for problem in problems:
            sys.stderr.write(f"{problem}\n")
        if problems:
            sys.stderr.write("run `python -m sentimon.dashboards` and commit the result\n")
            return 1
        sys.stderr.write(f"dashboards in {args.out} are up to date\n")
        return 0
    for path in write_all(args.out):
        sys.stderr.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m sentimon.k8s [--check]`: write or check the generated files of deploy/k8s."""

from __future__ import annotations

import argparse
import sys

from sentimon.k8s.generate import stale_files, write_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sentimon.k8s", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when the files differ from what their sources give",
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            sys.stderr.write(f"stale: {path}\n")
        if stale:
            sys.stderr.write("run `python -m sentimon.k8s` and commit the result\n")
            return 1
        sys.stderr.write("the Kubernetes monitoring objects are up to date\n")
        return 0
    for path in write_all():
        sys.stderr.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

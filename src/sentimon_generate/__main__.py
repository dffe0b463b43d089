"""`python -m sentimon_generate [--check] [NAME ...]`: rewrite every generated file of
deploy/ from its sources, in dependency order, or check that none is stale."""

from __future__ import annotations

import argparse
import sys

from sentimon_generate.generated import GENERATORS, NAMES, stale, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sentimon_generate",
        description=__doc__,
        epilog="generators, in order: " + ", ".join(g.name for g in GENERATORS),
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"only these ({', '.join(NAMES)}) [all]"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 naming each file that differs from its sources",
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = stale(names=args.names)
            for problem in problems:
                sys.stderr.write(f"{problem}\n")
            if problems:
                sys.stderr.write("run `make generate` and commit the result\n")
                return 1
            sys.stderr.write("every generated file is up to date\n")
            return 0
        changed = write(names=args.names)
    except ValueError as error:
        parser.error(str(error))
    for path in changed:
        sys.stderr.write(f"wrote {path}\n")
    if not changed:
        sys.stderr.write("every generated file was already up to date\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

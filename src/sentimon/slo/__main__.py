"""Write deploy/prometheus/rules/slo.yml from deploy/slo/slos.yml.

    python -m sentimon.slo [--spec FILE] [--out FILE] [--check]

--check writes nothing and exits 1 when the committed rules differ from what the spec gives.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sentimon.slo.spec import load_spec, spec_file
from sentimon.slo.write import is_current, render_file, rules_file


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spec", type=Path, help="[default: deploy/slo/slos.yml]")
    parser.add_argument("--out", type=Path, help="[default: deploy's rules/slo.yml]")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    spec = load_spec(args.spec or spec_file())
    out = args.out or rules_file()
    if args.check:
        if not is_current(out, spec):
            sys.stderr.write(f"{out} is stale: run python -m sentimon.slo\n")
            raise SystemExit(1)
        return
    out.write_text(render_file(spec), encoding="utf-8")
    sys.stdout.write(f"wrote {out}\n")


if __name__ == "__main__":
    main()

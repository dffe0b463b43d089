"""Write deploy/prometheus/rules/model_quality.yml from the shipped model card.

    python -m sentimon.quality [--window 1h] [--model-dir DIR] [--check]

--check writes nothing and exits 1 when the committed file differs from what the card
gives for the window it was written with.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sentimon.model.artifact import default_model_dir, load_artifact
from sentimon.quality.rules import DEFAULT_WINDOW
from sentimon.quality.write import is_current, render_file, rules_file


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--window", default=DEFAULT_WINDOW, help="drift and estimate window")
    parser.add_argument("--model-dir", type=Path, help="[default: the shipped model]")
    parser.add_argument("--out", type=Path, help="[default: deploy's model_quality.yml]")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    args.out = args.out or rules_file()
    card = load_artifact(args.model_dir or default_model_dir()).card
    if args.check:
        if not is_current(args.out, card):
            sys.stderr.write(f"{args.out} is stale: run python -m sentimon.quality\n")
            raise SystemExit(1)
        return
    args.out.write_text(render_file(card, args.window), encoding="utf-8")
    sys.stdout.write(f"wrote {args.out}\n")


if __name__ == "__main__":
    main()

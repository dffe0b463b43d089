"""The everyday evaluation set: a model beside VADER's rules, per class.

    python benchmarks/everyday.py [--model DIR] [--set everyday_eval.tsv] [--wrong]

The figures the model card records under metrics.everyday, measured again on any model
directory (the shipped one by default). --set everyday_dev.tsv scores the development
set instead, on which options are chosen; --wrong lists the sentences the model misreads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sentimon.model.artifact import default_model_dir
from sentimon.model.runtime import Predictor
from sentimon.model.training import everyday
from sentimon.model.training.lexicon_baseline import vader_labels


def _out(text: str) -> None:
    """A benchmark's output is its report."""
    sys.stdout.write(text + "\n")


def _line(name: str, report: dict) -> str:
    per_class = " ".join(
        f"{label} R {scores['recall']:.3f} P {scores['precision']:.3f}"
        for label, scores in report["per_class"].items()
    )
    return (
        f"{name:<10} accuracy {report['accuracy']:.3f}  macro-F1 {report['macro_f1']:.3f}  "
        f"turns {report['turns']['accuracy']:.3f}  {per_class}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument(
        "--set", default=everyday.EVAL_FILE, choices=[everyday.EVAL_FILE, everyday.DEV_FILE]
    )
    parser.add_argument("--wrong", action="store_true")
    args = parser.parse_args()
    rows = everyday.load(args.set)
    texts = [row.text for row in rows]
    predictor = Predictor.load(args.model, threads=1, device="cpu")
    predicted = [p.label for p in predictor.predict_batch(texts)]
    _out(f"{args.set}: {len(rows)} sentences, SHA-256 {everyday.file_sha256(args.set)}")
    _out(_line(f"{predictor.name} {predictor.version}", everyday.report(rows, predicted)))
    _out(_line("VADER", everyday.report(rows, vader_labels(texts))))
    if args.wrong:
        for row, label in zip(rows, predicted, strict=True):
            if label != row.label:
                _out(f"  {row.label} -> {label}: {row.text}")


if __name__ == "__main__":
    main()

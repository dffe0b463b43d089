"""Each traffic scenario's drift score against the shipped model card, as the rules compute it.

    python benchmarks/drift.py [--model DIR] [--texts 600] [--seed 1]

Draws ``--texts`` texts from each scenario the way `sentimon traffic` does, runs the
model on them, and prints the PSI of every drift signal against the card's reference and
the accuracy estimated from confidence: the table in docs/model-monitoring.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from sentimon.model.artifact import default_model_dir, load_artifact
from sentimon.model.runtime import Predictor
from sentimon.quality.signals import calibration, drift_signals, estimated_accuracy, psi
from sentimon.traffic.scenarios import draw_texts

SCENARIOS = ("normal", "low-confidence", "world-change", "drift")


def _out(text: str) -> None:
    """A benchmark's output is its report."""
    sys.stdout.write(text + "\n")


def _counts(signal, predictions, encoded) -> np.ndarray:
    if signal.kind == "labels":
        return np.asarray([sum(p.label == b for p in predictions) for b in signal.bins])
    values = {
        "confidence": [p.confidence for p in predictions],
        "input_tokens": [e.total_tokens for e in encoded],
        "unknown_token_ratio": [e.unknown / len(e.ids) for e in encoded],
    }[signal.name]
    bounds = np.asarray([np.inf if b == "+Inf" else float(b) for b in signal.bins])
    which = np.searchsorted(bounds, np.asarray(values), side="left")
    return np.bincount(which, minlength=len(bounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    artifact = load_artifact(args.model)
    predictor = Predictor.load(args.model, threads=1, device="cpu")
    signals = drift_signals(artifact.card)
    table = calibration(artifact.card)
    confidence = next(s for s in signals if s.name == "confidence")
    _out(f"{artifact.name} {artifact.version}: PSI against the card's reference")
    _out(f"{'traffic':<16}" + "".join(f"{s.name:>22}" for s in signals) + f"{'estimated acc':>16}")
    for scenario in SCENARIOS:
        texts = draw_texts(scenario, args.texts, args.seed)
        predictions = predictor.predict_batch(texts)
        encoded = [artifact.vocabulary.encode(t) for t in texts]
        scores = [psi(_counts(s, predictions, encoded), s.reference) for s in signals]
        estimate = estimated_accuracy(_counts(confidence, predictions, encoded), table)
        _out(f"{scenario:<16}" + "".join(f"{v:>22.2f}" for v in scores) + f"{estimate:>16.2f}")


if __name__ == "__main__":
    main()

"""Re-baseline drift: make a window of live traffic, read back from Prometheus, the card's
reference, and regenerate the rules from it.

The test split is a fair first reference, but real traffic rarely looks like it (shorter
texts, other topics), and drift should measure change from what is normal *here*. So an
operator picks a window of traffic they trust, and this writes it into the model card
(the one source of truth), keeping a note of what it replaced, and says per signal how
far the new reference is from the old.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import httpx
import numpy as np

from sentimon.model.artifact import CARD_FILE, load_artifact
from sentimon.quality.signals import INF, drift_signals, le_label, psi
from sentimon.quality.write import render_file, written_window

_HISTOGRAMS = {
    "confidence_histogram": "model_confidence",
    "input_tokens_histogram": "model_input_tokens",
    "unknown_token_ratio_histogram": "model_unknown_token_ratio",
}


class RebaselineError(RuntimeError):
    """Prometheus could not be read, or the window holds too little traffic."""


@dataclass(frozen=True)
class Rebaselined:
    predictions: int
    shift: dict[str, float]  # per signal: PSI of the new reference against the old one
    card_path: Path
    rules_path: Path


def _query(url: str, expr: str, at: float) -> list[dict]:
    try:
        response = httpx.get(f"{url}/api/v1/query", params={"query": expr, "time": at}, timeout=30)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise RebaselineError(f"cannot query Prometheus at {url}: {exc}") from None
    body = response.json()
    if body.get("status") != "success":
        raise RebaselineError(f"Prometheus refused {expr!r}: {body.get('error')}")
    return body["data"]["result"]


def _by(result: list[dict], label: str) -> dict[str, float]:
    return {row["metric"].get(label, ""): float(row["value"][1]) for row in result}


def _histogram(cumulative: dict[str, float], old: dict) -> dict:
    """The card's histogram format over its own bounds, from cumulative ``le`` counts."""
    bounds = old["upper_bounds"]
    ups = [round(cumulative.get(le_label(b), 0.0)) for b in bounds]
    total = round(cumulative.get(INF, 0.0))
    counts = [ups[0], *(b - a for a, b in pairwise(ups))]
    out = {
        "upper_bounds": bounds,
        "counts": [max(c, 0) for c in counts],
        "count_above": max(total - ups[-1], 0),
        "total": total,
    }
    if "measure" in old:
        out["measure"] = old["measure"]
    return out


def live_reference(
    url: str, window: str, at: float, old: dict, labels: list[str], job: str = "sentimon"
) -> dict:
    """Reference distributions in the card's format, from the ``window`` before ``at``."""
    selector = f'job="{job}"'
    mix = _by(
        _query(
            url, f"sum by (label) (increase(model_predictions_total{{{selector}}}[{window}]))", at
        ),
        "label",
    )
    total = sum(mix.values())
    reference = {
        "computed_on": f"live traffic: the {window} before "
        f"{datetime.fromtimestamp(at, UTC).replace(microsecond=0).isoformat()}, from {url}",
        "examples": round(total),
        "predicted_label_mix": {
            label: (mix.get(label, 0.0) / total if total else 0.0) for label in labels
        },
    }
    for key, metric in _HISTOGRAMS.items():
        expr = f"sum by (le) (increase({metric}_bucket{{{selector}}}[{window}]))"
        reference[key] = _histogram(_by(_query(url, expr, at), "le"), old[key])
    return reference


def _write_json(path: Path, document: dict) -> None:
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=".card-", delete=False, encoding="utf-8"
    ) as handle:
        handle.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    os.replace(handle.name, path)


def rebaseline(
    model_dir: Path,
    prometheus: str,
    window: str,
    rules_path: Path,
    *,
    at: float | None = None,
    min_predictions: int = 200,
) -> Rebaselined:
    """Write the window's traffic into the card as its reference; regenerate the rules."""
    card = load_artifact(model_dir).card
    at = datetime.now(UTC).timestamp() if at is None else at
    old = card["reference_distributions"]
    new = live_reference(prometheus.rstrip("/"), window, at, old, list(card["labels"]))
    if new["examples"] < min_predictions:
        raise RebaselineError(
            f"the {window} before that time holds {new['examples']} predictions; a reference "
            f"needs at least {min_predictions} (pick a longer window or a busier time)"
        )
    updated = {
        **card,
        "reference_distributions": new,
        "reference_history": [
            *card.get("reference_history", []),
            {"computed_on": old.get("computed_on"), "examples": old.get("examples")},
        ],
    }
    before = {s.name: s for s in drift_signals(card)}
    after = {s.name: s for s in drift_signals(updated)}
    shift = {
        name: psi(np.asarray(after[name].reference), np.asarray(signal.reference))
        for name, signal in before.items()
    }
    window_of_rules = (
        written_window(rules_path.read_text(encoding="utf-8")) if rules_path.is_file() else window
    )
    _write_json(model_dir / CARD_FILE, updated)
    rules_path.write_text(render_file(updated, window_of_rules), encoding="utf-8")
    return Rebaselined(new["examples"], shift, model_dir / CARD_FILE, rules_path)

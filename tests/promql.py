"""PromQL helpers shared by the rule and dashboard tests: which series an expression reads,
and which series docs/metrics.md promises."""

from __future__ import annotations

import re
from pathlib import Path

METRICS_DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool"}
_KEYWORDS |= {"and", "or", "unless", "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """Series names in a PromQL expression (recorded ones included): not functions,
    keywords, label names or numbers."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w:.])[A-Za-z_:][\w:]*", text):
        if text[match.end() :].lstrip().startswith("("):
            continue  # a function call
        if match.group().lower() not in _KEYWORDS:
            names.add(match.group())
    return names


def documented_metrics() -> set[str]:
    """Every series name docs/metrics.md promises, histogram and summary parts included."""
    names = set()
    for name, kind in re.findall(r"^\| `(\w+)` \| (\w+) \|", METRICS_DOC.read_text(), re.M):
        names.add(name)
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif kind == "summary":
            names |= {f"{name}_sum", f"{name}_count"}
    return names

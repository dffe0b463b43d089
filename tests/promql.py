"""PromQL helpers shared by the rule and dashboard tests: which series an expression reads,
which series docs/metrics.md promises, and how Prometheus 2 and 3 store a bucket bound."""

from __future__ import annotations

import math
import re
from decimal import Decimal
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


# ---- Prometheus 2 and 3 (docs/compose.md#prometheus-3) ------------------------------

_SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)?\s*\{([^{}]*)\}")
_MATCHER = re.compile(r'([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def go_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(value, 'g', -1, 64)``: the shortest digits that read back
    as ``value``, in exponent form below 1e-4 and from 1e6 up ("5e-05", "2.097152e+06").

    What a Go client's text format writes in ``le`` and ``quantile``, and so what
    Prometheus 2 stores for it: 1 -> "1", 10 -> "10".
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    # repr gives the shortest round-tripping digits, as Go's shortest formatting does.
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    mantissa = "".join(map(str, digits))
    point = len(mantissa) + exponent  # digits before the decimal point
    power = point - 1
    if power < -4 or power >= 6:
        fraction = f".{mantissa[1:]}" if len(mantissa) > 1 else ""
        text = f"{mantissa[0]}{fraction}e{'-' if power < 0 else '+'}{abs(power):02d}"
    elif point <= 0:
        text = "0." + "0" * -point + mantissa
    elif point >= len(mantissa):
        text = mantissa + "0" * (point - len(mantissa))
    else:
        text = f"{mantissa[:point]}.{mantissa[point:]}"
    return ("-" if sign else "") + text


def prometheus3_bound(value: float) -> str:
    """An ``le`` or ``quantile`` value as Prometheus 3 stores it, whatever the target wrote
    (its formatOpenMetricsFloat): Go's float with ".0" on a whole number, so "1.0", "0.25",
    "10.0", "1e+06"."""
    text = go_float(value)
    whole = math.isfinite(value) and "." not in text and "e" not in text
    return text + ".0" if whole else text


def label_matchers(expr: str, label: str) -> list[tuple[str, str, str]]:
    """(series name, operator, value) of every matcher on ``label`` in a PromQL expression;
    the value unescaped as PromQL reads a double-quoted string."""
    found = []
    for selector in _SELECTOR.finditer(expr):
        for name, operator, value in _MATCHER.findall(selector.group(2)):
            if name == label:
                found.append((selector.group(1) or "", operator, re.sub(r"\\(.)", r"\1", value)))
    return found

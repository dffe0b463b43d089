"""Colours by meaning, threshold steps and value mappings.

The alert lines panels draw come from `sentimon.queries.rule_source.alert_lines`, read from
deploy/prometheus/rules/thresholds.yml when the dashboards are generated, so that a person
sees how close things are to the very values the alerts use; changing a threshold there
and regenerating moves the lines too.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.models.dashboard import (
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
)

# Red means the same thing on every dashboard.
OK, WARN, BAD, NEUTRAL = "green", "orange", "red", "text"

Steps = Sequence[tuple[float | None, str]]


def bad_above(bad: float, *, warn: float | None = None) -> Steps:
    """Green, orange from `warn` when given, red from `bad`."""
    middle = [] if warn is None else [(warn, WARN)]
    return ((None, OK), *middle, (bad, BAD))


def bad_below(ok: float) -> Steps:
    """Red below `ok`, green from it."""
    return ((None, BAD), (ok, OK))


# Counts where one is already too many (targets down, firing alerts), or one is enough.
NONE_WANTED = bad_above(1)
ONE_NEEDED = bad_below(1)


def thresholds(steps: Steps) -> ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (the base colour)."""
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def value_text(mapping: dict[str, tuple[str, str]]) -> list[ValueMap]:
    """Value mappings such as {"1": ("UP", OK)}."""
    return [
        ValueMap(
            options={
                value: ValueMappingResult(text=text, color=color, index=i)
                for i, (value, (text, color)) in enumerate(mapping.items())
            }
        )
    ]


UP_DOWN = value_text({"0": ("DOWN", BAD), "1": ("UP", OK)})
READY = value_text({"0": ("NOT READY", BAD), "1": ("READY", OK)})

"""Panels that more than one dashboard shows, for whatever selector the dashboard has.

The overview shows the API and model signals for the chosen instances; the API and Model
dashboards narrow them further (route, model). One function per panel keeps its title,
unit, thresholds and description the same wherever it appears. The expressions come from
sentimon.queries, which the console (sentimon.console) charts too.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import stat, timeseries

from sentimon.queries import api as api_signals
from sentimon.queries.api import DURATION, error_ratio, latency, request_rate
from sentimon.queries.model import mean_confidence
from sentimon.queries.promql import series, total
from sentimon.queries.rule_source import alert_lines
from sentimon_generate.dashboards.panels import stat_panel, timeseries_panel
from sentimon_generate.dashboards.targets import EXEMPLARS_HINT, prom, quantiles
from sentimon_generate.dashboards.thresholds import (
    ONE_NEEDED,
    READY,
    bad_above,
    bad_below,
)


def requests_stat(selector: str) -> stat.Panel:
    return stat_panel("Requests / s", prom(total(request_rate(selector))), unit="reqps")


def error_share_stat(selector: str) -> stat.Panel:
    lines = alert_lines()
    return stat_panel(
        "5xx share",
        prom(error_ratio(selector)),
        unit="percentunit",
        steps=bad_above(lines.error_share, warn=lines.error_share_warning),
        description=f"Share of requests answered 5xx; HighErrorRate fires above "
        f"{lines.error_share:.0%}.",
    )


def latency_stat(selector: str) -> stat.Panel:
    lines = alert_lines()
    return stat_panel(
        "p95 latency",
        prom(latency(0.95, selector)),
        unit="s",
        steps=bad_above(lines.latency_p95_seconds, warn=0.5),
        description=f"HighRequestLatency fires when p95 stays above {lines.latency_p95_seconds} s.",
    )


def mean_confidence_stat(selector: str) -> stat.Panel:
    lines = alert_lines()
    return stat_panel(
        "Mean confidence",
        prom(mean_confidence(selector)),
        unit="percentunit",
        steps=bad_below(lines.confidence_floor),
        description=f"LowModelConfidence fires when this stays below {lines.confidence_floor}.",
    )


def model_ready_stat(selector: str, title: str = "Model ready") -> stat.Panel:
    """Ready only when every selected worker is (the minimum over them)."""
    return stat_panel(
        title,
        prom(f"min({series('model_ready', selector)})"),
        unit="none",
        steps=ONE_NEEDED,
        mappings=READY,
    )


def requests_by_status(selector: str) -> timeseries.Panel:
    return timeseries_panel(
        "Requests / s by status",
        [prom(api_signals.requests_by_status(selector), "{{status}}")],
        unit="reqps",
        stacked=True,
    )


def error_share(title: str, selector: str) -> timeseries.Panel:
    lines = alert_lines()
    return timeseries_panel(
        title,
        [prom(error_ratio(selector), "5xx share")],
        unit="percentunit",
        max_val=1,
        steps=bad_above(lines.error_share),
        threshold_line=True,
        description=f"The line at {lines.error_share:.0%} is the HighErrorRate threshold.",
    )


def latency_quantiles(
    title: str, selector: str, qs: Sequence[float], *, exemplars: bool = False
) -> timeseries.Panel:
    lines = alert_lines()
    return timeseries_panel(
        title,
        quantiles(DURATION, selector, qs, exemplars=exemplars),
        unit="s",
        steps=bad_above(lines.latency_p95_seconds),
        threshold_line=True,
        description=EXEMPLARS_HINT if exemplars else "",
    )

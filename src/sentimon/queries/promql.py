"""PromQL builders and the selectors more than one dashboard uses.

Windows are Grafana's `$__rate_interval`, or `$__range` for an instant query that totals the
dashboard's time range; `generate.promql_queries` replaces them (and the other variables)
with concrete values for the tests.
"""

from __future__ import annotations

WINDOW = "[$__rate_interval]"
RANGE = "[$__range]"

INSTANCE = 'instance=~"$instance"'
SENTIMON_JOB = 'job="sentimon"'


def series(metric: str, selector: str = "") -> str:
    """`metric{selector}`, or the bare name when there is no selector."""
    return f"{metric}{{{selector}}}" if selector else metric


def rate(metric: str, selector: str = "") -> str:
    return f"rate({series(metric, selector)}{WINDOW})"


def increase(metric: str, selector: str = "") -> str:
    return f"increase({series(metric, selector)}{WINDOW})"


def increase_over_range(metric: str, selector: str = "") -> str:
    """The increase over the dashboard's whole time range (for instant queries)."""
    return f"increase({series(metric, selector)}{RANGE})"


def total(expr: str, by: str = "") -> str:
    """`sum(expr)`, or `sum by (by) (expr)`."""
    return f"sum by ({by}) ({expr})" if by else f"sum({expr})"


def quantile(q: float, histogram: str, selector: str = "", by: str = "") -> str:
    """histogram_quantile over a histogram's buckets, optionally per label."""
    buckets = total(rate(f"{histogram}_bucket", selector), f"le, {by}" if by else "le")
    return f"histogram_quantile({q}, {buckets})"


def mean(metric: str, selector: str = "", by: str = "") -> str:
    """Mean of a histogram or summary over the window: rate(sum) / rate(count)."""
    sums = total(rate(f"{metric}_sum", selector), by)
    counts = total(rate(f"{metric}_count", selector), by)
    return f"{sums} / {counts}"

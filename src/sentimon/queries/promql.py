"""PromQL builders and the selectors more than one dashboard uses.

Windows are Grafana's `$__rate_interval`, or `$__range` for an instant query that totals the
dashboard's time range; `generate.promql_queries` replaces them (and the other variables)
with concrete values for the tests.
"""

from __future__ import annotations

import re

WINDOW = "[$__rate_interval]"
RANGE = "[$__range]"

# The API's scrape job: prometheus.yml's job_name, the native stack's target file, and
# under the Operator the ServiceMonitor's jobLabel.
JOB = "sentimon"
SENTIMON_JOB = f'job="{JOB}"'
# The API instances a dashboard's $instance picks, within sentimon's job: under the Operator
# one Prometheus scrapes the whole cluster, where http_requests_total is a common name.
INSTANCE = f'{SENTIMON_JOB}, instance=~"$instance"'
# Node Exporter's scrape job: "node" natively and in Compose (prometheus.yml), "node-exporter"
# under kube-prometheus-stack (its ServiceMonitor's job label). Only these two: a kubelet or
# another exporter may expose node_* look-alikes that are not the host's figures.
NODE_JOB = 'job=~"node|node-exporter"'
# The scrape jobs of sentimon's stack: every job of prometheus.yml, and node-exporter. A
# cluster's Prometheus scrapes much else; TargetDown and "Targets up" watch these only.
STACK_JOBS = 'job=~"sentimon|node|node-exporter|prometheus|alertmanager|loki|alloy|grafana|dcgm"'
# sentimon's alerts, all of which carry a component label: not a cluster's other alerts
# (kube-prometheus-stack's always-firing Watchdog among them).
FIRING_ALERTS = 'ALERTS{alertstate="firing", component!=""}'


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


_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


def expand(expr: str, values: dict[str, str]) -> str:
    """Replace $name and ${name} with concrete values; an unknown variable is an error.

    What makes a dashboard's query runnable without Grafana: the tests give every variable
    a value, the console a window for `$__rate_interval` and its own selectors.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise ValueError(f"unknown Grafana variable ${name} in {expr!r}")
        return values[name]

    return _VARIABLE.sub(substitute, expr)

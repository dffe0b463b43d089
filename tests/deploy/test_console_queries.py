"""The console charts what the Grafana dashboards chart: for each chart, the expression the
console builds, given the dashboard's selector and the same variable values, is one of that
dashboard's expressions."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "grafana_foundation_sdk", reason="the dashboards need grafana-foundation-sdk (sentimon[dev])"
)

from sentimon.console.charts import CHARTS
from sentimon.queries.promql import INSTANCE, expand
from sentimon_generate.dashboards import api, model, overview, server
from sentimon_generate.dashboards.generate import (
    build_json,
    promql_queries,
    variable_values,
)

# Chart id -> the selector the dashboard named by chart.dashboard builds the same panel with.
DASHBOARD_SELECTORS = {
    "requests": INSTANCE,
    "errors": INSTANCE,
    "latency": api._SEL,
    "inference": model._SEL,
    "confidence": model._SEL,
    "mean_confidence": model._SEL,
    "predictions": model._SEL,
    "accuracy": model._QUALITY,
    "drift": model._QUALITY,
    "cpu": server._NODE,
    "memory": server._NODE,
    "disk": server._NODE,
    "network": server._NODE,
}
MODULES = {"overview": overview, "api": api, "model": model, "server": server}


def test_every_chart_names_a_dashboard_selector():
    assert set(DASHBOARD_SELECTORS) == {chart.id for chart in CHARTS}
    assert {chart.dashboard for chart in CHARTS} <= set(MODULES)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda chart: chart.id)
def test_the_console_expression_is_the_dashboards(chart):
    values = variable_values(build_json(chart.dashboard))
    panels = promql_queries()[chart.dashboard]
    for query in chart.queries(DASHBOARD_SELECTORS[chart.id]):
        assert expand(query.expr, values) in panels, (chart.id, query.expr)

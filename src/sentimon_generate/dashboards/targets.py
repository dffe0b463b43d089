"""Grafana query targets on the provisioned datasources."""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders.loki import Dataquery as LokiQuery
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQuery
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from sentimon.queries.promql import quantile

# The uids provisioned by deploy/grafana/provisioning/datasources/datasources.yml.
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
LOKI = DataSourceRef(type_val="loki", uid="loki")
ALERTMANAGER = DataSourceRef(type_val="alertmanager", uid="alertmanager")

# What a panel whose query asks for exemplars says about its points.
EXEMPLARS_HINT = (
    "The points are exemplars: one recent request per bucket. Hover one for its request_id"
    ' (and trace_id); "Logs of this request" opens the Logs dashboard on its lines.'
)


def prom(
    expr: str, legend: str = "", *, instant: bool = False, exemplars: bool = False
) -> PromQuery:
    """A Prometheus query; the panel it goes into numbers its ref ids.

    With `exemplars`, Grafana also asks Prometheus for the exemplars of the series the
    expression reads (request ids on the latency buckets), drawn as points that link to
    the Logs dashboard (deploy/grafana/provisioning/datasources/datasources.yml).
    """
    query = PromQuery().expr(expr).ref_id("A").datasource(PROMETHEUS)
    if legend:
        query = query.legend_format(legend)
    if exemplars:
        query = query.exemplar(True)
    return query.instant() if instant else query.range()


def prom_table(expr: str) -> PromQuery:
    """An instant query formatted as a table (one row per series)."""
    return prom(expr, instant=True).format("table")


def prom_heatmap(expr: str, *, exemplars: bool = False) -> PromQuery:
    """Histogram buckets as a heatmap frame, one row per `le`."""
    return prom(expr, "{{le}}", exemplars=exemplars).format("heatmap")


def quantiles(
    histogram: str, selector: str, qs: Sequence[float], *, by: str = "", exemplars: bool = False
) -> list[PromQuery]:
    """One query per quantile, legends `p50`, `p95` (`p50 {{device}}` when split by device).

    With `exemplars`, the first query alone asks for them: every quantile reads the same
    buckets, so each further query would draw the same points again.
    """
    suffix = " {{" + by + "}}" if by else ""
    return [
        prom(
            quantile(q, histogram, selector, by),
            f"p{round(q * 100)}{suffix}",
            exemplars=exemplars and i == 0,
        )
        for i, q in enumerate(qs)
    ]


def loki(expr: str, legend: str = "") -> LokiQuery:
    """A LogQL query on the provisioned Loki datasource."""
    query = LokiQuery().expr(expr).ref_id("A").datasource(LOKI)
    return query.legend_format(legend) if legend else query

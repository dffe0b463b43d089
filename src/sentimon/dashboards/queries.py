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


def prom(expr: str, legend: str = "", *, instant: bool = False) -> PromQuery:
    """A Prometheus query; the panel it goes into numbers its ref ids."""
    query = PromQuery().expr(expr).ref_id("A").datasource(PROMETHEUS)
    if legend:
        query = query.legend_format(legend)
    return query.instant() if instant else query.range()


def prom_table(expr: str) -> PromQuery:
    """An instant query formatted as a table (one row per series)."""
    return prom(expr, instant=True).format("table")


def prom_heatmap(expr: str) -> PromQuery:
    """Histogram buckets as a heatmap frame, one row per `le`."""
    return prom(expr, "{{le}}").format("heatmap")


def quantiles(
    histogram: str, selector: str, qs: Sequence[float], *, by: str = ""
) -> list[PromQuery]:
    """One query per quantile, legends `p50`, `p95` (`p50 {{device}}` when split by device)."""
    suffix = " {{" + by + "}}" if by else ""
    return [prom(quantile(q, histogram, selector, by), f"p{round(q * 100)}{suffix}") for q in qs]


def loki(expr: str, legend: str = "") -> LokiQuery:
    """A LogQL query on the provisioned Loki datasource."""
    query = LokiQuery().expr(expr).ref_id("A").datasource(LOKI)
    return query.legend_format(legend) if legend else query

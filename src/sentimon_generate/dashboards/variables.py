"""Dashboard variables: drop-downs of label values."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import QueryVariable
from grafana_foundation_sdk.models.dashboard import VariableRefresh, VariableSort

from sentimon.queries.promql import SENTIMON_JOB
from sentimon_generate.dashboards.targets import PROMETHEUS


def query_variable(name: str, label: str, query: str) -> QueryVariable:
    """A multi-select variable from label values, with All as the regex `.*`."""
    return (
        QueryVariable(name)
        .label(label)
        .datasource(PROMETHEUS)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def instance_variable() -> QueryVariable:
    """The sentimon API instances Prometheus scrapes."""
    return query_variable(
        "instance", "API instance", f"label_values(up{{{SENTIMON_JOB}}}, instance)"
    )

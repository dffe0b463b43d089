"""Render every dashboard to JSON, check the committed copies, and list their queries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from sentimon.queries.promql import expand
from sentimon_generate.dashboards import api, health, logs, model, overview, server, slo

# File stem -> builder; the stem names deploy/grafana/dashboards/<stem>.json.
DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "overview": overview.build,
    "api": api.build,
    "model": model.build,
    "server": server.build,
    "logs": logs.build,
    "health": health.build,
    "slo": slo.build,
}

# Grafana's built-in variables, as the tests evaluate them against a live Prometheus.
BUILTIN_VALUES = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h"}


def build_json(name: str) -> dict[str, Any]:
    """One dashboard as the JSON object Grafana loads, panel ids numbered in order."""
    encoded = JSONEncoder(sort_keys=True).encode(DASHBOARDS[name]().build())
    dashboard = json.loads(encoded)
    for number, panel in enumerate(iter_panels(dashboard), start=1):
        panel["id"] = number
    return dashboard


def render(name: str) -> str:
    """The exact text of deploy/grafana/dashboards/<name>.json."""
    return json.dumps(build_json(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def iter_panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, rows and the panels inside collapsed rows included, in order."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def iter_targets(dashboard: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(panel, target) for every query of every panel."""
    for panel in iter_panels(dashboard):
        for target in panel.get("targets", []):
            yield panel, target


def datasource_uid(panel: dict[str, Any], target: dict[str, Any]) -> str | None:
    """The uid a target queries: its own datasource, else its panel's."""
    ref = target.get("datasource") or panel.get("datasource") or {}
    return ref.get("uid")


def variable_values(dashboard: dict[str, Any]) -> dict[str, str]:
    """A concrete value for every variable: All (`.*`) for selectors, empty for text boxes."""
    values = dict(BUILTIN_VALUES)
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "textbox":
            values[variable["name"]] = variable.get("query") or ""
        else:
            values[variable["name"]] = variable.get("allValue") or ".*"
    return values


def _queries(uid: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in DASHBOARDS:
        dashboard = build_json(name)
        values = variable_values(dashboard)
        exprs = [
            expand(target["expr"], values)
            for panel, target in iter_targets(dashboard)
            if datasource_uid(panel, target) == uid and target.get("expr")
        ]
        if exprs:
            found[name] = exprs
    return found


def promql_queries() -> dict[str, list[str]]:
    """Every PromQL expression per dashboard, Grafana variables replaced (1m, `.*`, "")."""
    return _queries("prometheus")


def logql_queries() -> dict[str, list[str]]:
    """Every LogQL expression per dashboard, Grafana variables replaced."""
    return _queries("loki")

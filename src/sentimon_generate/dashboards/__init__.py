"""Grafana dashboards as code (grafana-foundation-sdk), rendered to deploy/grafana/dashboards.

`make generate` (python -m sentimon_generate) rewrites the JSON files; `--check` fails when
the committed files differ from what the code makes. The SDK is a development dependency:
the running service never imports this package, and its wheel does not ship it.
"""

from sentimon_generate.dashboards.generate import (
    DASHBOARDS,
    build_json,
    logql_queries,
    promql_queries,
    render,
)

__all__ = [
    "DASHBOARDS",
    "build_json",
    "logql_queries",
    "promql_queries",
    "render",
]

"""Grafana dashboards as code (grafana-foundation-sdk), rendered to deploy/grafana/dashboards.

`python -m sentimon.dashboards` rewrites the JSON files; `--check` fails when the
committed files differ from what the code makes. The SDK is a development dependency:
the running service never imports this package.
"""

from sentimon.dashboards.generate import (
    DASHBOARDS,
    build_json,
    default_output_dir,
    logql_queries,
    promql_queries,
    render,
    stale_files,
    write_all,
)

__all__ = [
    "DASHBOARDS",
    "build_json",
    "default_output_dir",
    "logql_queries",
    "promql_queries",
    "render",
    "stale_files",
    "write_all",
]

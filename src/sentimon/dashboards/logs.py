"""Logs: the four sentimon streams and host syslog from Loki, with a request-id search."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row, TextBoxVariable

from sentimon.dashboards.common import (
    LOKI,
    base_dashboard,
    logs_panel,
    loki,
    prom,
    timeseries_panel,
)

UID = "sentimon-logs"

SERVICE = 'service="sentimon"'
# stderr holds every WARNING-and-above line exactly once (the file and syslog repeat them),
# so counting error lines there counts each once.
ERROR_LINES = (
    f'sum by (level) (count_over_time({{{SERVICE}, stream="stderr"}}'
    ' | json | __error__="" | level=~"ERROR|CRITICAL" [$__interval]))'
)
# Line filters take the text boxes as they are; empty boxes match every line.
_FILTERS = '|= "$request_id" |~ "(?i)$search"'


def _stream(stream: str) -> str:
    return f'{{{SERVICE}, stream="{stream}"}} {_FILTERS}'


def build() -> Dashboard:
    return (
        base_dashboard(
            UID,
            "sentimon / Logs",
            "sentimon's stdout, stderr, log file and syslog lines, and host syslog, from Loki.",
        )
        .with_variable(
            TextBoxVariable("request_id")
            .label("request id")
            .description("An X-Request-ID: shows every line of that request, in every stream.")
        )
        .with_variable(
            TextBoxVariable("search")
            .label("text")
            .description("A case-insensitive regular expression matched against each line.")
        )
        .with_row(Row("Volume"))
        .with_panel(
            timeseries_panel(
                "Error lines / interval (Loki)",
                [loki(ERROR_LINES, "{{level}}")],
                unit="short",
                datasource=LOKI,
                stacked=True,
                description="ERROR and CRITICAL lines on stderr, parsed with | json.",
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "Lines / interval by stream (Loki)",
                [
                    loki(
                        f"sum by (stream) (count_over_time({{{SERVICE}}}[$__interval]))",
                        "{{stream}}",
                    )
                ],
                unit="short",
                datasource=LOKI,
                width=8,
            )
        )
        .with_panel(
            timeseries_panel(
                "Log lines / s by level (Prometheus)",
                [
                    prom(
                        "sum by (level) (rate(log_messages_total[$__rate_interval]))",
                        "{{level}}",
                    )
                ],
                unit="short",
                stacked=True,
                description="log_messages_total from /metrics: counted even when Loki is down.",
                width=8,
            )
        )
        .with_row(Row("Request"))
        .with_panel(
            logs_panel(
                "Every line of the request id (all streams)",
                loki(f"{{{SERVICE}}} {_FILTERS} | json"),
                description="Type a request id above; lines from every stream, newest first.",
            )
        )
        .with_row(Row("Streams"))
        .with_panel(
            logs_panel(
                "stdout (INFO and up, the request log)",
                loki(_stream("stdout")),
                width=12,
            )
        )
        .with_panel(
            logs_panel(
                "stderr (WARNING and up, with tracebacks)",
                loki(_stream("stderr")),
                width=12,
            )
        )
        .with_panel(
            logs_panel(
                "Log file (everything at SENTIMON_LOG_LEVEL)",
                loki(_stream("file")),
                width=12,
            )
        )
        .with_panel(
            logs_panel(
                "sentimon via syslog (WARNING and up)",
                loki(_stream("syslog")),
                width=12,
            )
        )
        .with_panel(
            logs_panel(
                "Host syslog",
                loki('{job="syslog"} |~ "(?i)$search"'),
                description="The host's journal (job=syslog), labelled by unit and level.",
            )
        )
    )

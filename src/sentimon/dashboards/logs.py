"""Logs: the four sentimon streams and host syslog from Loki, with a request-id search."""

from __future__ import annotations

from grafana_foundation_sdk.builders import logs
from grafana_foundation_sdk.builders.dashboard import Dashboard, TextBoxVariable

from sentimon.dashboards.layout import row, sentimon_dashboard
from sentimon.dashboards.panels import logs_panel, timeseries_panel
from sentimon.dashboards.queries import LOKI, loki, prom
from sentimon.queries.promql import rate, total

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


def _stream(stream: str, title: str) -> logs.Panel:
    """One sentimon stream, filtered by the text boxes."""
    return logs_panel(title, loki(f'{{{SERVICE}, stream="{stream}"}} {_FILTERS}'))


def build() -> Dashboard:
    return sentimon_dashboard(
        UID,
        "sentimon / Logs",
        "sentimon's stdout, stderr, log file and syslog lines, and host syslog, from Loki.",
        variables=[
            TextBoxVariable("request_id")
            .label("request id")
            .description("An X-Request-ID: shows every line of that request, in every stream."),
            TextBoxVariable("search")
            .label("text")
            .description("A case-insensitive regular expression matched against each line."),
        ],
        sections=[
            row(
                "Volume",
                [
                    timeseries_panel(
                        "Error lines / interval (Loki)",
                        [loki(ERROR_LINES, "{{level}}")],
                        unit="short",
                        datasource=LOKI,
                        stacked=True,
                        description="ERROR and CRITICAL lines on stderr, parsed with | json.",
                    ),
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
                    ),
                    timeseries_panel(
                        "Log lines / s by level (Prometheus)",
                        [prom(total(rate("log_messages_total"), by="level"), "{{level}}")],
                        unit="short",
                        stacked=True,
                        description="log_messages_total from /metrics: counted even when Loki"
                        " is down.",
                    ),
                ],
            ),
            row(
                "Request",
                [
                    logs_panel(
                        "Every line of the request id (all streams)",
                        loki(f"{{{SERVICE}}} {_FILTERS} | json"),
                        description="Type a request id above; lines from every stream, newest"
                        " first.",
                    )
                ],
            ),
            row(
                "Streams",
                [
                    _stream("stdout", "stdout (INFO and up, the request log)"),
                    _stream("stderr", "stderr (WARNING and up, with tracebacks)"),
                ],
                [
                    _stream("file", "Log file (everything at SENTIMON_LOG_LEVEL)"),
                    _stream("syslog", "sentimon via syslog (WARNING and up)"),
                ],
                [
                    logs_panel(
                        "Host syslog",
                        loki('{job="syslog"} |~ "(?i)$search"'),
                        description="The host's journal (job=syslog), labelled by unit and level.",
                    )
                ],
            ),
        ],
    )

"""Logs: sentimon's four streams, the stack's own components and host syslog from Loki,
filtered by service and level, with a request-id search."""

from __future__ import annotations

from grafana_foundation_sdk.builders import logs
from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable, TextBoxVariable
from grafana_foundation_sdk.models.dashboard import VariableRefresh, VariableSort

from sentimon.dashboards.layout import row, sentimon_dashboard
from sentimon.dashboards.panels import logs_panel, timeseries_panel
from sentimon.dashboards.queries import LOKI, loki, prom
from sentimon.queries.promql import SENTIMON_JOB, rate, total

UID = "sentimon-logs"

# Every stream has a job, so the selector stays valid when both drop-downs say All (`.*`).
# Levels are matched without case: sentimon writes INFO, the collector lowercases the
# other components' levels, the journal has its own words (err, warning).
_SELECTED = 'job=~".+", service=~"$service", level=~"(?i)$level"'
# sentimon writes each line to several streams: stdout holds every INFO-and-above line
# once, stderr every WARNING-and-above line once; the components write each line to one
# stream. stdout, not the file: every mode has it (no file in Kubernetes, nor for Compose's
# GPU API), and the file differs only by DEBUG lines.
_ONCE_PER_LINE = '| service!="sentimon" or stream="stdout"'
_ERRORS_ONCE = '| service!="sentimon" or stream="stderr"'
ERROR_LINES = (
    f'sum by (service, level) (count_over_time({{{_SELECTED}, stream=~"stdout|stderr"}}'
    f' | level=~"(?i)(error|critical|fatal)" {_ERRORS_ONCE} [$__interval]))'
)
# Line filters take the text boxes as they are; empty boxes match every line.
_FILTERS = '|= "$request_id" |~ "(?i)$search"'


def _label_variable(name: str, label: str, query: str, description: str) -> QueryVariable:
    """A multi-select of one Loki label's values, with All as the regex `.*`."""
    return (
        QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(LOKI)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def _stream(stream: str, title: str) -> logs.Panel:
    """One stream of the selected services, filtered by the text boxes."""
    return logs_panel(title, loki(f'{{{_SELECTED}, stream="{stream}"}} {_FILTERS}'))


def build() -> Dashboard:
    return sentimon_dashboard(
        UID,
        "sentimon / Logs",
        "sentimon's stdout, stderr, log file and syslog lines, the stack's own components"
        " (Prometheus, Alertmanager, Node Exporter, ...) and host syslog, from Loki.",
        variables=[
            _label_variable(
                "service",
                "service",
                "label_values(service)",
                "sentimon, the stack's components (prometheus, alertmanager, node-exporter,"
                " ...) and host syslog identifiers: the same names natively and in Compose.",
            ),
            _label_variable(
                "level",
                "level",
                'label_values({service=~"$service"}, level)',
                "Matched without case: INFO also selects info.",
            ),
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
                        "Error lines / interval by service (Loki)",
                        [loki(ERROR_LINES, "{{service}} {{level}}")],
                        unit="short",
                        datasource=LOKI,
                        stacked=True,
                        description="ERROR, CRITICAL and FATAL lines of the selected services,"
                        " each counted once (sentimon's from stderr).",
                    ),
                    timeseries_panel(
                        "Lines / interval by level (Loki)",
                        [
                            loki(
                                f"sum by (level) (count_over_time({{{_SELECTED}}}"
                                f' |~ "(?i)$search" {_ONCE_PER_LINE} [$__interval]))',
                                "{{level}}",
                            )
                        ],
                        unit="short",
                        datasource=LOKI,
                        stacked=True,
                        description="Every line of the selected services and host syslog,"
                        " once (sentimon's from its stdout).",
                    ),
                    timeseries_panel(
                        "Lines / interval by service and stream (Loki)",
                        [
                            loki(
                                f"sum by (service, stream) (count_over_time({{{_SELECTED}}}"
                                ' |~ "(?i)$search" [$__interval]))',
                                "{{service}} {{stream}}",
                            )
                        ],
                        unit="short",
                        datasource=LOKI,
                    ),
                    timeseries_panel(
                        "sentimon log lines / s by level (Prometheus)",
                        [
                            prom(
                                total(rate("log_messages_total", SENTIMON_JOB), by="level"),
                                "{{level}}",
                            )
                        ],
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
                        loki(f"{{{_SELECTED}}} {_FILTERS} | json"),
                        description="Type a request id above; lines from every stream, newest"
                        " first.",
                    )
                ],
            ),
            row(
                "Streams",
                [
                    _stream("stdout", "stdout (sentimon: INFO and up, the request log)"),
                    _stream("stderr", "stderr (sentimon: WARNING and up, with tracebacks)"),
                ],
                [
                    _stream("file", "sentimon's log file (everything at SENTIMON_LOG_LEVEL)"),
                    logs_panel(
                        "sentimon via syslog (WARNING and up)",
                        loki(f'{{{_SELECTED}, job="sentimon", stream="syslog"}} {_FILTERS}'),
                    ),
                ],
                [
                    logs_panel(
                        "Host syslog",
                        loki(f'{{{_SELECTED}, job="syslog"}} |~ "(?i)$search"'),
                        description="The host's journal, or its syslog file where no journal"
                        " runs (job=syslog), labelled by identifier (service) and level.",
                    )
                ],
            ),
        ],
    )

"""Logs: sentimon's four streams, the stack's own components and host syslog from Loki,
filtered by service and level, with a request-id search."""

from __future__ import annotations

from grafana_foundation_sdk.builders import logs
from grafana_foundation_sdk.builders.dashboard import (
    CustomVariable,
    Dashboard,
    QueryVariable,
    TextBoxVariable,
)
from grafana_foundation_sdk.models.dashboard import VariableOption, VariableRefresh, VariableSort

from sentimon.queries.promql import SENTIMON_JOB, rate, total
from sentimon_generate.dashboards.frame import row, sentimon_dashboard
from sentimon_generate.dashboards.panels import logs_panel, timeseries_panel
from sentimon_generate.dashboards.targets import LOKI, loki, prom

UID = "sentimon-logs"
# The text box an exemplar's or a log line's link fills in (?var-request_id=...): the
# links provisioned in deploy/grafana/provisioning/datasources/datasources.yml name it.
REQUEST_ID = "request_id"

# The level label's one vocabulary, least severe first: the collector maps every source's
# words onto these (loki.process "levels" in deploy/collector/config.alloy): sentimon's
# INFO, the Go components' warn, the journal's err and crit, ...
LEVELS = ("debug", "info", "warning", "error", "critical")
_ERROR_LEVELS = 'level=~"error|critical"'

# A selector Loki accepts whatever the drop-downs say: with both at All (`.*`), service and
# level match the empty string, and Loki refuses a selector all of whose matchers do;
# job=~".+" never does, and every stream has a job.
_SELECTED = 'job=~".+", service=~"$service", level=~"$level"'
# sentimon writes each line to several streams: stdout holds every INFO-and-above line
# once, stderr every WARNING-and-above line once; the components write each line to one
# stream. stdout, not the file: every mode has it (no file in Kubernetes, nor for Compose's
# GPU API), and the file differs only by DEBUG lines.
_ONCE_PER_LINE = '| service!="sentimon" or stream="stdout"'
_ERRORS_ONCE = '| service!="sentimon" or stream="stderr"'
# The text boxes, as line filters. The request id is a line filter, not the exact
# structured-metadata filter `| request_id="$request_id"`: with the box empty, that one
# keeps only the lines without a request id (an absent label equals ""), and LogQL has no
# filter that turns itself off when a variable is empty. `|= ""` keeps every line; `|= "<id>"`
# keeps the lines that hold the id: the request's JSON lines in every stream, tracebacks
# included, and with a W3C trace id in the box, the lines of that trace (their `trace_id`).
# A client's short X-Request-ID (`req-1`) also finds longer ids that contain it (`req-10`).
_FILTERS = f'|= "${REQUEST_ID}" |~ "(?i)$search"'
ERROR_LINES = (
    f"sum by (service, level) (count_over_time({{{_SELECTED}, {_ERROR_LEVELS},"
    f' stream=~"stdout|stderr"}} {_FILTERS} {_ERRORS_ONCE} [$__interval]))'
)


def _service_variable() -> QueryVariable:
    """A multi-select of the services Loki has lines of, with All as the regex `.*`."""
    return (
        QueryVariable("service")
        .label("service")
        .description(
            "sentimon, the stack's components (prometheus, alertmanager, node-exporter, ...)"
            " and host syslog identifiers: the same names natively and in Compose."
        )
        .datasource(LOKI)
        # A selector, not label_values(service): it keeps to the streams the panels read.
        .query('label_values({job=~".+"}, service)')
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def _level_variable() -> CustomVariable:
    """The fixed level vocabulary; All (`.*`) also keeps the lines that have no level."""
    return (
        CustomVariable("level")
        .label("level")
        .description(
            "One vocabulary for every stream: the collector maps sentimon's INFO, the"
            " components' warn, the journal's err, crit and notice onto these. All also shows"
            " lines that carry no level."
        )
        .values(",".join(LEVELS))
        .current(VariableOption(selected=True, text="All", value="$__all"))
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
            _service_variable(),
            _level_variable(),
            TextBoxVariable(REQUEST_ID)
            .label("request id")
            .description(
                "An X-Request-ID (or a W3C trace id): every panel keeps the lines that hold it,"
                " in every stream. The exemplars of the API and Model dashboards and the"
                " request_id of a log line link here with it filled in."
            ),
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
                        description="error and critical lines of the selected services,"
                        " each counted once (sentimon's from stderr).",
                    ),
                    timeseries_panel(
                        "Lines / interval by level (Loki)",
                        [
                            loki(
                                f"sum by (level) (count_over_time({{{_SELECTED}}}"
                                f" {_FILTERS} {_ONCE_PER_LINE} [$__interval]))",
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
                                f" {_FILTERS} [$__interval]))",
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
                        loki(f'{{{_SELECTED}, {SENTIMON_JOB}, stream="syslog"}} {_FILTERS}'),
                    ),
                ],
                [
                    logs_panel(
                        "Host syslog",
                        loki(f'{{{_SELECTED}, job="syslog"}} {_FILTERS}'),
                        description="The host's journal, or its syslog file where no journal"
                        " runs (job=syslog), labelled by identifier (service) and level.",
                    )
                ],
            ),
        ],
    )

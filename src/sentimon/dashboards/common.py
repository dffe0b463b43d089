"""Shared panel defaults: datasources by uid, units, thresholds, one function per panel kind.

Every dashboard module builds its panels with these functions, so that a datasource
uid, a threshold colour or a legend style is decided once. Queries take Grafana
variables (`$instance`, `$__rate_interval`); `generate.promql_queries` replaces them
with concrete values for the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import (
    bargauge,
    dashboardlist,
    heatmap,
    logs,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    StackingConfig,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    QueryVariable,
    ThresholdsConfig,
    TimePicker,
)
from grafana_foundation_sdk.builders.heatmap import HeatmapColorOptions, YAxisConfig
from grafana_foundation_sdk.builders.loki import Dataquery as LokiQuery
from grafana_foundation_sdk.builders.prometheus import Dataquery as PromQuery
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    GraphThresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    LogsSortOrder,
    SortOrder,
    StackingMode,
    TooltipDisplayMode,
    VisibilityMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.heatmap import HeatmapColorMode

# The uids provisioned by deploy/grafana/provisioning/datasources/datasources.yml.
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
LOKI = DataSourceRef(type_val="loki", uid="loki")
ALERTMANAGER = DataSourceRef(type_val="alertmanager", uid="alertmanager")

TAG = "sentimon"
SENTIMON_JOB = 'job="sentimon"'
# Filesystems that hold data; the rest (memory, container layers, pseudo) would only add noise.
REAL_FILESYSTEM = (
    'fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|proc|sysfs|tracefs|autofs|fuse.lxcfs"'
)

# Colours used for meaning, so that red means the same thing on every dashboard.
OK, WARN, BAD, NEUTRAL = "green", "orange", "red", "text"

Steps = Sequence[tuple[float | None, str]]


# ---- queries ------------------------------------------------------------------------


def prom(expr: str, legend: str = "", *, ref: str = "A", instant: bool = False) -> PromQuery:
    """A Prometheus query on the provisioned datasource."""
    query = PromQuery().expr(expr).ref_id(ref).datasource(PROMETHEUS)
    if legend:
        query = query.legend_format(legend)
    return query.instant() if instant else query.range()


def prom_table(expr: str, ref: str = "A") -> PromQuery:
    """An instant query formatted as a table (one row per series)."""
    return prom(expr, ref=ref, instant=True).format("table")


def prom_heatmap(expr: str, ref: str = "A") -> PromQuery:
    """Histogram buckets as a heatmap frame, one row per `le`."""
    return prom(expr, "{{le}}", ref=ref).format("heatmap")


def loki(expr: str, legend: str = "", *, ref: str = "A") -> LokiQuery:
    """A LogQL query on the provisioned Loki datasource."""
    query = LokiQuery().expr(expr).ref_id(ref).datasource(LOKI)
    return query.legend_format(legend) if legend else query


# ---- shared field settings ----------------------------------------------------------


def thresholds(steps: Steps) -> ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (the base colour)."""
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def value_text(mapping: dict[str, tuple[str, str]]) -> list[ValueMap]:
    """Value mappings such as {"1": ("UP", OK)}."""
    return [
        ValueMap(
            options={
                value: ValueMappingResult(text=text, color=color, index=i)
                for i, (value, (text, color)) in enumerate(mapping.items())
            }
        )
    ]


UP_DOWN = value_text({"0": ("DOWN", BAD), "1": ("UP", OK)})
READY = value_text({"0": ("NOT READY", BAD), "1": ("READY", OK)})


def _legend_table() -> VizLegendOptions:
    return (
        VizLegendOptions()
        .display_mode(LegendDisplayMode.TABLE)
        .placement(LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(["mean", "max", "lastNotNull"])
    )


def _tooltip_all() -> VizTooltipOptions:
    return VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING)


# ---- panel kinds --------------------------------------------------------------------


def timeseries_panel(
    title: str,
    targets: Sequence[PromQuery | LokiQuery],
    *,
    unit: str,
    description: str = "",
    steps: Steps | None = None,
    threshold_line: bool = False,
    min_val: float | None = 0,
    max_val: float | None = None,
    stacked: bool = False,
    no_value: str | None = None,
    datasource: DataSourceRef = PROMETHEUS,
    width: int = 12,
    height: int = 8,
) -> timeseries.Panel:
    """A time series with a table legend (mean, max, last) and a shared tooltip."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(datasource)
        .unit(unit)
        .line_width(1)
        .fill_opacity(10)
        .legend(_legend_table())
        .tooltip(_tooltip_all())
        .span(width)
        .height(height)
    )
    for target in targets:
        panel = panel.with_target(target)
    if min_val is not None:
        panel = panel.min(min_val)
    if max_val is not None:
        panel = panel.max(max_val)
    if steps is not None:
        panel = panel.thresholds(thresholds(steps))
        if threshold_line:
            panel = panel.thresholds_style(
                GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.LINE_AND_AREA)
            )
    if stacked:
        panel = panel.stacking(StackingConfig().mode(StackingMode.NORMAL)).fill_opacity(40)
    if no_value is not None:
        panel = panel.no_value(no_value)
    return panel


def stat_panel(
    title: str,
    target: PromQuery,
    *,
    unit: str,
    description: str = "",
    steps: Steps = ((None, NEUTRAL),),
    mappings: list[ValueMap] | None = None,
    no_value: str = "no data",
    decimals: int | None = None,
    width: int = 4,
    height: int = 4,
) -> stat.Panel:
    """One big number (the last value) coloured by its thresholds, with a sparkline."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(target)
        .unit(unit)
        .thresholds(thresholds(steps))
        .color_mode(BigValueColorMode.BACKGROUND)
        .graph_mode(BigValueGraphMode.AREA)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .no_value(no_value)
        .span(width)
        .height(height)
    )
    if mappings is not None:
        panel = panel.mappings(mappings)
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def table_panel(
    title: str,
    targets: Sequence[PromQuery],
    *,
    description: str = "",
    hide: Sequence[str] = ("Time", "Value", "__name__"),
    no_value: str = "none",
    width: int = 12,
    height: int = 8,
) -> table.Panel:
    """Instant results as a table; bookkeeping columns hidden."""
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .no_value(no_value)
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={"excludeByName": dict.fromkeys(hide, True)},
            )
        )
        .span(width)
        .height(height)
    )
    if len(targets) > 1:
        panel = panel.with_transformation(DataTransformerConfig(id_val="merge", options={}))
    for target in targets:
        panel = panel.with_target(target)
    return panel


def heatmap_panel(
    title: str,
    target: PromQuery,
    *,
    unit: str,
    description: str = "",
    width: int = 12,
    height: int = 8,
) -> heatmap.Panel:
    """Prometheus histogram buckets drawn as they are (no recalculation)."""
    return (
        heatmap.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(target)
        .calculate(False)
        .color(HeatmapColorOptions().mode(HeatmapColorMode.SCHEME).scheme("Oranges").steps(64))
        .y_axis(YAxisConfig().unit(unit))
        .show_value(VisibilityMode.NEVER)
        .max_data_points(60)
        .span(width)
        .height(height)
    )


def state_timeline_panel(
    title: str,
    targets: Sequence[PromQuery],
    *,
    mappings: list[ValueMap],
    description: str = "",
    width: int = 24,
    height: int = 8,
) -> statetimeline.Panel:
    """Discrete states over time (up/down, ready/not ready)."""
    panel = (
        statetimeline.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .mappings(mappings)
        .thresholds(thresholds(((None, BAD), (1, OK))))
        .show_value(VisibilityMode.NEVER)
        .merge_values(True)
        .no_value("no targets")
        .span(width)
        .height(height)
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def bargauge_panel(
    title: str,
    target: PromQuery,
    *,
    unit: str,
    steps: Steps,
    description: str = "",
    min_val: float = 0,
    max_val: float = 1,
    width: int = 12,
    height: int = 8,
) -> bargauge.Panel:
    """Current values side by side against a scale (for example disk use per mount)."""
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(target)
        .unit(unit)
        .min(min_val)
        .max(max_val)
        .thresholds(thresholds(steps))
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .span(width)
        .height(height)
    )


def logs_panel(
    title: str,
    target: LokiQuery,
    *,
    description: str = "",
    width: int = 24,
    height: int = 10,
) -> logs.Panel:
    """Log lines, newest first, with details and the request id one click away."""
    return (
        logs.Panel()
        .title(title)
        .description(description)
        .datasource(LOKI)
        .with_target(target.max_lines(500))
        .show_time(True)
        .show_labels(False)
        .wrap_log_message(True)
        .prettify_log_message(False)
        .enable_log_details(True)
        .sort_order(LogsSortOrder.DESCENDING)
        .span(width)
        .height(height)
    )


def dashboard_list_panel(title: str, *, width: int = 24, height: int = 6) -> dashboardlist.Panel:
    """Every sentimon dashboard, found by its tag."""
    return (
        dashboardlist.Panel()
        .title(title)
        .tags([TAG])
        .show_search(True)
        .show_headings(False)
        .show_starred(False)
        .show_recently_viewed(False)
        .include_vars(False)
        .keep_time(True)
        .max_items(20)
        .span(width)
        .height(height)
    )


# ---- dashboards and variables -------------------------------------------------------


def base_dashboard(uid: str, title: str, description: str) -> Dashboard:
    """Stable uid, the sentimon tag, a drop-down of the other sentimon dashboards."""
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .readonly()
        .timepicker(TimePicker().refresh_intervals(["10s", "30s", "1m", "5m", "15m"]))
        .link(
            DashboardLink("sentimon dashboards")
            .type(DashboardLinkType.DASHBOARDS)
            .tags([TAG])
            .as_dropdown(True)
            .include_vars(False)
            .keep_time(True)
        )
    )


def query_variable(
    name: str, label: str, query: str, *, datasource: DataSourceRef = PROMETHEUS
) -> QueryVariable:
    """A multi-select variable from label values, with All as the regex `.*`."""
    return (
        QueryVariable(name)
        .label(label)
        .datasource(datasource)
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

"""One function per panel kind, with the defaults every sentimon panel shares.

A datasource, a legend style or a colour scheme is decided here once. Widths are not:
`layout.row` shares each line's 24 columns among its panels.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import TypeVar

from grafana_foundation_sdk.builders import (
    bargauge,
    dashboardlist,
    gauge,
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
    DataSourceRef,
    DataTransformerConfig,
    ValueMap,
)
from grafana_foundation_sdk.models.heatmap import HeatmapColorMode

from sentimon_generate.dashboards.frame import TAG
from sentimon_generate.dashboards.targets import LOKI, PROMETHEUS
from sentimon_generate.dashboards.thresholds import NEUTRAL, ONE_NEEDED, Steps, thresholds

_P = TypeVar(
    "_P",
    bargauge.Panel,
    gauge.Panel,
    heatmap.Panel,
    logs.Panel,
    stat.Panel,
    statetimeline.Panel,
    table.Panel,
    timeseries.Panel,
)


def _titled(panel: _P, title: str, description: str, datasource: DataSourceRef = PROMETHEUS) -> _P:
    return panel.title(title).description(description).datasource(datasource)


def _with_targets(panel: _P, targets: Sequence[PromQuery | LokiQuery]) -> _P:
    """Add the queries with ref ids A, B, C… in order."""
    for number, target in enumerate(targets):
        panel = panel.with_target(target.ref_id(string.ascii_uppercase[number]))
    return panel


def _legend_table() -> VizLegendOptions:
    return (
        VizLegendOptions()
        .display_mode(LegendDisplayMode.TABLE)
        .placement(LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(["mean", "max", "lastNotNull"])
    )


def _last_value() -> ReduceDataOptions:
    return ReduceDataOptions().calcs(["lastNotNull"]).values(False)


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
    height: int = 8,
) -> timeseries.Panel:
    """A time series with a table legend (mean, max, last) and a shared tooltip."""
    panel = _with_targets(
        _titled(timeseries.Panel(), title, description, datasource)
        .unit(unit)
        .line_width(1)
        .fill_opacity(10)
        .legend(_legend_table())
        .tooltip(VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING))
        .height(height),
        targets,
    )
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
    decimals: int | None = None,
    height: int = 4,
) -> stat.Panel:
    """One big number (the last value) coloured by its thresholds, with a sparkline."""
    panel = _with_targets(
        _titled(stat.Panel(), title, description)
        .unit(unit)
        .thresholds(thresholds(steps))
        .color_mode(BigValueColorMode.BACKGROUND)
        .graph_mode(BigValueGraphMode.AREA)
        .reduce_options(_last_value())
        .no_value("no data")
        .height(height),
        [target],
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
    height: int = 8,
) -> table.Panel:
    """Instant results as a table; bookkeeping columns hidden, several queries merged."""
    panel = (
        _titled(table.Panel(), title, description)
        .no_value(no_value)
        .with_transformation(
            DataTransformerConfig(
                id_val="organize",
                options={"excludeByName": dict.fromkeys(hide, True)},
            )
        )
        .height(height)
    )
    if len(targets) > 1:
        panel = panel.with_transformation(DataTransformerConfig(id_val="merge", options={}))
    return _with_targets(panel, targets)


def matrix_panel(
    title: str,
    target: PromQuery,
    *,
    rows: str,
    columns: str,
    corner: str,
    description: str = "",
    no_value: str = "none",
    height: int = 8,
) -> table.Panel:
    """One instant table query as a matrix: a row per value of the label `rows`, a column per
    value of `columns`, in label order, each cell the query's value (0 where it has no series).
    """
    # groupingToMatrix names its first column `rows\columns`, and orders rows and columns
    # as they first appear: sorting by the column label before, and by that first column
    # after, puts both in label order (sortBy reads one field only).
    first = f"{rows}\\{columns}"
    return _with_targets(
        _titled(table.Panel(), title, description)
        .no_value(no_value)
        .decimals(0)
        .with_transformation(_sort_by(columns))
        .with_transformation(
            DataTransformerConfig(
                id_val="groupingToMatrix",
                options={
                    "rowField": rows,
                    "columnField": columns,
                    "valueField": "Value",
                    "emptyValue": "zero",
                },
            )
        )
        .with_transformation(_sort_by(first))
        .with_transformation(
            DataTransformerConfig(id_val="organize", options={"renameByName": {first: corner}})
        )
        .height(height),
        [target],
    )


def _sort_by(field: str) -> DataTransformerConfig:
    return DataTransformerConfig(id_val="sortBy", options={"sort": [{"field": field}]})


def heatmap_panel(
    title: str, target: PromQuery, *, unit: str, description: str = "", height: int = 8
) -> heatmap.Panel:
    """Prometheus histogram buckets drawn as they are (no recalculation)."""
    return (
        _titled(heatmap.Panel(), title, description)
        .with_target(target)
        .calculate(False)
        .color(HeatmapColorOptions().mode(HeatmapColorMode.SCHEME).scheme("Oranges").steps(64))
        .y_axis(YAxisConfig().unit(unit))
        .show_value(VisibilityMode.NEVER)
        .max_data_points(60)
        .height(height)
    )


def state_timeline_panel(
    title: str,
    targets: Sequence[PromQuery],
    *,
    mappings: list[ValueMap],
    description: str = "",
    height: int = 8,
) -> statetimeline.Panel:
    """Discrete states over time (up/down, ready/not ready)."""
    panel = (
        _titled(statetimeline.Panel(), title, description)
        .mappings(mappings)
        .thresholds(thresholds(ONE_NEEDED))
        .show_value(VisibilityMode.NEVER)
        .merge_values(True)
        .no_value("no targets")
        .height(height)
    )
    return _with_targets(panel, targets)


def bargauge_panel(
    title: str,
    target: PromQuery,
    *,
    unit: str,
    steps: Steps,
    description: str = "",
    min_val: float = 0,
    max_val: float = 1,
    height: int = 8,
) -> bargauge.Panel:
    """Current values side by side against a scale (for example disk use per mount)."""
    return (
        _titled(bargauge.Panel(), title, description)
        .with_target(target)
        .unit(unit)
        .min(min_val)
        .max(max_val)
        .thresholds(thresholds(steps))
        .reduce_options(_last_value())
        .height(height)
    )


def gauge_panel(
    title: str,
    target: PromQuery,
    *,
    unit: str,
    steps: Steps,
    description: str = "",
    min_val: float = 0,
    max_val: float = 1,
    height: int = 6,
) -> gauge.Panel:
    """One value on a dial whose rim marks the threshold steps (how close to the alert)."""
    return (
        _titled(gauge.Panel(), title, description)
        .with_target(target)
        .unit(unit)
        .min(min_val)
        .max(max_val)
        .thresholds(thresholds(steps))
        .show_threshold_markers(True)
        .reduce_options(_last_value())
        .no_value("no data")
        .height(height)
    )


def logs_panel(
    title: str, target: LokiQuery, *, description: str = "", height: int = 10
) -> logs.Panel:
    """Log lines, newest first, with details and the request id one click away."""
    return (
        _titled(logs.Panel(), title, description, LOKI)
        .with_target(target.max_lines(500))
        .show_time(True)
        .show_labels(False)
        .wrap_log_message(True)
        .prettify_log_message(False)
        .enable_log_details(True)
        .sort_order(LogsSortOrder.DESCENDING)
        .height(height)
    )


def dashboard_list_panel(title: str, *, height: int = 6) -> dashboardlist.Panel:
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
        .height(height)
    )

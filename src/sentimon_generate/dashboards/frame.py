"""A dashboard as rows of lines of panels, in the frame every sentimon dashboard shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self

from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    Row,
    TimePicker,
)
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import DashboardLinkType, VariableModel

TAG = "sentimon"
GRID_COLUMNS = 24


class PanelBuilder(Protocol):
    def span(self, w: int) -> Self: ...

    def build(self) -> Any: ...


@dataclass(frozen=True)
class Wide:
    """A panel that takes `parts` equal shares of its line, where the others take one."""

    panel: PanelBuilder
    parts: int


Line = Sequence[PanelBuilder | Wide]


@dataclass(frozen=True)
class Section:
    """A row header (none when `title` is None) and its panels, placed on the grid."""

    title: str | None
    panels: tuple[PanelBuilder, ...]
    collapsed: bool = False


def _place(title: str | None, lines: Sequence[Line]) -> tuple[PanelBuilder, ...]:
    """Share each line's 24 columns equally among its panels (a `Wide` one takes more)."""
    placed: list[PanelBuilder] = []
    for line in lines:
        shares = [(e.panel, e.parts) if isinstance(e, Wide) else (e, 1) for e in line]
        parts = sum(n for _, n in shares)
        if not shares or GRID_COLUMNS % parts:
            raise ValueError(f"{title}: {parts} shares cannot split {GRID_COLUMNS} columns")
        placed += [panel.span(GRID_COLUMNS // parts * n) for panel, n in shares]
    return tuple(placed)


def row(title: str, *lines: Line, collapsed: bool = False) -> Section:
    """A row: its header, then one argument per line of panels."""
    return Section(title, _place(title, lines), collapsed)


def above_rows(*lines: Line) -> Section:
    """Panels at the top of a dashboard, under no row header."""
    return Section(None, _place(None, lines))


def sentimon_dashboard(
    uid: str,
    title: str,
    description: str,
    *,
    variables: Sequence[Builder[VariableModel]] = (),
    sections: Sequence[Section],
) -> Dashboard:
    """Stable uid, the sentimon tag, a drop-down of the other sentimon dashboards, the grid."""
    dashboard = (
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
    for variable in variables:
        dashboard = dashboard.with_variable(variable)
    for section in sections:
        dashboard = _add(dashboard, section)
    return dashboard


def _add(dashboard: Dashboard, section: Section) -> Dashboard:
    if section.title is not None and section.collapsed:
        # A collapsed row carries its panels inside it; an open row is followed by them.
        header = Row(section.title).collapsed(True)
        for panel in section.panels:
            header = header.with_panel(panel)
        return dashboard.with_row(header)
    if section.title is not None:
        dashboard = dashboard.with_row(Row(section.title))
    for panel in section.panels:
        dashboard = dashboard.with_panel(panel)
    return dashboard

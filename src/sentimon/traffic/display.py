"""The terminal view: a live table while traffic runs, the same table as the summary."""

from __future__ import annotations

import asyncio
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from sentimon.traffic.report import run_summary
from sentimon.traffic.runner import TrafficRun
from sentimon.traffic.scenarios import SCENARIOS


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _status_style(code: str) -> str:
    return "green" if code.startswith("2") else "red" if code.startswith("5") else "yellow"


def _outcomes(row: dict[str, Any]) -> Text:
    text = Text()
    for code, n in row["status"].items():
        text.append(f"{code}:{n} ", style=_status_style(code))
    for kind, n in row["transport_errors"].items():
        text.append(f"{kind}:{n} ", style="bold red")
    if row["unfinished"]:
        text.append(f"pending:{row['unfinished']}", style="dim")
    return text


def _behind(row: dict[str, Any]) -> Text:
    parts = [f"{row[k]} {k}" for k in ("skipped", "late") if row[k]]
    return Text(", ".join(parts), style="yellow") if parts else Text("-", style="dim")


def _feedback(row: dict[str, Any]) -> Text:
    feedback = row["feedback"]
    if not feedback["asked"]:
        return Text("-", style="dim")
    all_in = feedback["accepted"] == feedback["sent"]
    text = Text(f"{feedback['accepted']}/{feedback['sent']}", style="green" if all_in else "yellow")
    if feedback["accuracy"] is not None:
        text.append(f" {feedback['accuracy']:.0%}")
    for code, n in feedback["refused"].items():
        text.append(f" {code}:{n}", style="red")
    for kind, n in feedback["transport_errors"].items():
        text.append(f" {kind}:{n}", style="bold red")
    if feedback["no_token"]:
        text.append(f" no token:{feedback['no_token']}", style="yellow")
    return text


def summary_table(summary: dict[str, Any], title: str) -> Table:
    """Per phase and in total: rate achieved against target, outcomes, latency percentiles.

    A run that asks for feedback gets one more column: feedback accepted of sent, the
    accuracy it gave, and what was refused.
    """
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        header_style="bold",
        padding=(0, 1, 0, 0),  # fits an 80-column terminal
    )
    table.add_column("phase", no_wrap=True)
    for name in ("s", "req/s", "sent"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("behind")
    table.add_column("status / errors")
    for name in ("p50", "p95", "p99"):
        table.add_column(name, justify="right", no_wrap=True)
    with_feedback = summary["total"]["feedback"]["asked"] > 0
    if with_feedback:
        table.add_column("feedback\nok/sent acc")
    rows = [*summary["phases"], summary["total"]] if summary["phases"] else []
    for row in rows:
        is_total = row["phase"] == 0
        latency = row["latency_ms"]
        table.add_row(
            "total" if is_total else f"{row['phase']} {row['scenario']}",
            f"{row['elapsed_seconds']:.1f}",
            f"{row['achieved_rps']:.1f}/{row['target_rps']:g}",
            str(row["sent"]),
            _behind(row),
            _outcomes(row),
            _ms(latency["p50"]),
            _ms(latency["p95"]),
            _ms(latency["p99"]),
            *([_feedback(row)] if with_feedback else []),
            style="bold" if is_total else None,
            end_section=len(rows) > 1 and row is rows[-2],
        )
    return table


def _bad_statuses(kind: dict[str, Any]) -> Text:
    """A bad request's statuses: the expected one green, any other red."""
    text = Text()
    for code, n in kind["status"].items():
        text.append(f"{code}:{n} ", style="green" if code == str(kind["expected"]) else "red")
    return text


def breakdown_table(summary: dict[str, Any]) -> Table | None:
    """The whole run by route and, when it sent any, by kind of bad input; None before
    any request."""
    total = summary["total"]
    if not total["endpoints"]:
        return None
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", padding=(0, 1, 0, 0))
    table.add_column("requests", no_wrap=True)
    table.add_column("sent", justify="right", no_wrap=True)
    table.add_column("expected", justify="right", no_wrap=True)
    table.add_column("status")
    routes = list(total["endpoints"].items())
    for n, (path, row) in enumerate(routes, start=1):
        statuses = Text()
        for code, count in row["status"].items():
            statuses.append(f"{code}:{count} ", style=_status_style(code))
        is_last = n == len(routes)
        table.add_row(path, str(row["sent"]), "", statuses, end_section=is_last)
    for name, kind in total["bad_input"]["kinds"].items():
        table.add_row(f"bad: {name}", str(kind["sent"]), str(kind["expected"]), _bad_statuses(kind))
    return table


def warning_lines(summary: dict[str, Any]) -> Text:
    return Text("\n".join(f"! {w}" for w in summary["warnings"]), style="yellow")


def _live_view(run: TrafficRun) -> RenderableType:
    now = run.now()
    summary = run_summary(run, now)
    if run.current < 0:
        return Text(f"starting traffic to {run.url} ...")
    p = run.phases[run.current]
    header = Text.assemble(
        (f"phase {p.number}/{len(run.phases)} ", "bold"),
        (p.scenario, "bold cyan"),
        f"  {p.elapsed(now):.1f} of {p.planned_seconds:g} s",
        f"  in flight {run.in_flight}/{run.concurrency}",
        ("  Ctrl-C: stop and summarise", "dim"),
    )
    what = Text(SCENARIOS[p.scenario], style="dim")
    table = summary_table(summary, f"traffic to {run.url} (latency in ms)")
    breakdown = breakdown_table(summary)
    return Group(header, what, table, *([breakdown] if breakdown else []), warning_lines(summary))


async def refresh_live(live: Live, run: TrafficRun, every: float = 0.25) -> None:
    """Redraw from the event loop's own thread, so that no counter is read mid-update."""
    while True:
        live.update(_live_view(run), refresh=True)
        await asyncio.sleep(every)

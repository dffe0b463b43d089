"""`sentimon stack`: the command line of the native stack."""

from __future__ import annotations

import json
import signal
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sentimon.stack import launcher
from sentimon.stack.check import CHECKS, run_checks
from sentimon.stack.components import Component
from sentimon.stack.launcher import ComponentState, StackError
from sentimon.stack.settings import StackSettings
from sentimon.stack.syslog import choose_syslog

stack_app = typer.Typer(
    help="Run the monitoring stack natively (every SENTIMON_STACK_* variable applies).",
    no_args_is_help=True,
)

_STYLE = {"healthy": "green", "passed": "green", "skipped": "yellow", "not installed": "yellow"}


def _table(states: list[ComponentState]) -> Table:
    table = Table("component", "URL", "state", "pid", box=None, pad_edge=False)
    for s in states:
        style = _STYLE.get(s.state, "red" if s.state in {"failed", "exited", "unhealthy"} else "")
        table.add_row(
            s.title, s.url, f"[{style}]{s.state}[/]" if style else s.state, str(s.pid or "")
        )
    return table


def _explain(console: Console, states: list[ComponentState]) -> None:
    for s in states:
        if s.detail and s.state != "stopped":
            console.print(f"  {s.title}: {s.detail}", soft_wrap=True)


def _wait_for_signal(console: Console, settings: StackSettings) -> None:
    """Block until Ctrl-C or SIGTERM, telling when a component stops on its own."""

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    reported: set[str] = set()
    while True:
        time.sleep(2)
        for s in launcher.status(settings):
            if s.state == "exited" and s.name not in reported:
                reported.add(s.name)
                console.print(f"[red]{s.title} exited[/]: {s.detail}", highlight=False)


@stack_app.command()
def up(
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Start and return; stop with `stack down`.")
    ] = False,
) -> None:
    """Start the API and every installed component; wait until each is healthy."""
    settings = StackSettings()
    console = Console(highlight=False)

    def starting(component: Component) -> None:
        console.print(f"starting {component.title}")
        if component.name == "sentimon":
            console.print(f"  {choose_syslog(settings).reason}", soft_wrap=True)

    try:
        states = launcher.up(settings, on_start=starting)
    except StackError as error:
        console.print(_table(error.states))
        console.print(f"[red]stack up failed[/]: {error}")
        raise typer.Exit(1) from None
    console.print(_table(states))
    _explain(console, states)
    root = launcher.state_dir(settings)
    console.print(f"configs, data and logs: {root}")
    console_state = next((s for s in states if s.name == "console"), None)
    if console_state is not None and console_state.state == "healthy":
        console.print(f"[bold]open the console[/]: {console_state.url}")
    if any(s.name == "grafana" and s.state == "healthy" for s in states):
        console.print(f"Grafana login: admin / the password in {root / 'grafana-admin-password'}")
    if detach:
        console.print("stop it with: sentimon stack down")
        return
    console.print("Ctrl-C stops the stack")
    try:
        _wait_for_signal(console, settings)
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        stubborn = launcher.down(settings)
    if stubborn:
        console.print(f"[red]could not stop[/]: {', '.join(stubborn)}")
        raise typer.Exit(1)


@stack_app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array on stdout.")] = False,
) -> None:
    """Each component's URL and state; exits 1 when a started component is not healthy."""
    states = launcher.status(StackSettings())
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in states], indent=2))
    else:
        console = Console(highlight=False)
        console.print(_table(states))
        _explain(console, states)
    if any(s.state in {"exited", "unhealthy"} for s in states):
        raise typer.Exit(1)


@stack_app.command()
def down() -> None:
    """Stop everything `stack up` started, leaving no process behind."""
    stubborn = launcher.down(StackSettings())
    if stubborn:
        typer.echo(f"could not stop: {', '.join(stubborn)}", err=True)
        raise typer.Exit(1)
    typer.echo("stack stopped")


@stack_app.command()
def check(
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Run the checks whose name holds this text (case-insensitive); repeatable.",
        ),
    ] = None,
) -> None:
    """Validate every config of deploy/ with the real tools; exits 1 on any failure."""
    console = Console(highlight=False)
    names = None
    if only:
        names = [name for name, _ in CHECKS if any(o.lower() in name.lower() for o in only)]
        if not names:
            known = ", ".join(name for name, _ in CHECKS)
            typer.echo(f"no check matches {' or '.join(only)}; the checks: {known}", err=True)
            raise typer.Exit(2)
    failed = False
    for result in run_checks(StackSettings(), names):
        style = _STYLE.get(result.outcome, "red")
        console.print(
            f"[{style}]{result.outcome:>7}[/]  {result.name}: {result.detail}", soft_wrap=True
        )
        failed |= result.outcome == "failed"
    if failed:
        raise typer.Exit(1)

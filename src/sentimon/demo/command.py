"""`sentimon demo`: bring the stack up with faults on, then walk the alerts through the drill."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from sentimon import durations
from sentimon.demo.drill import (
    WATCHED,
    Step,
    StepResult,
    drill_steps,
    expected_duration,
    parse_parts,
    run_step,
)
from sentimon.demo.watch import AlertWatcher, Transition
from sentimon.stack import launcher
from sentimon.stack.launcher import StackError
from sentimon.stack.settings import StackSettings

REQUIRED = ("sentimon", "receiver", "alertmanager", "prometheus")
# The test profile of `--fast`: the same rules, every window and wait divided by 20.
FAST = {"time_scale": 20, "scrape_interval": "1s", "evaluation_interval": "1s"}
_SOURCE = {"prometheus": "Prometheus", "alertmanager": "Alertmanager", "receiver": "receiver"}


def _clock(seconds: float) -> str:
    return f"+{int(seconds) // 60}:{int(seconds) % 60:02d}"


def _ensure_stack(settings: StackSettings, console: Console) -> None:
    states = {s.name: s for s in launcher.status(settings)}
    if all(states[name].state == "healthy" for name in REQUIRED):
        console.print("the stack is running: its own timings apply", style="dim")
        return
    # The API that `stack up` starts takes its settings from this environment.
    os.environ["SENTIMON_FAULT_INJECTION"] = "true"
    try:
        launcher.up(settings, on_start=lambda c: console.print(f"starting {c.title}"))
    except StackError as error:
        console.print(f"[red]stack up failed[/]: {error}")
        raise typer.Exit(1) from None
    missing = [states[name].title for name in REQUIRED if states[name].state == "not installed"]
    if missing:
        console.print(f"[red]the drill needs[/] {', '.join(missing)}: `sentimon stack status`")
        raise typer.Exit(1)


def _say_how_long(console: Console, parts: tuple[str, ...], time_scale: float) -> None:
    """Up front, before anything starts: the full walk at production timings takes hours."""
    how_long = expected_duration(parts, time_scale)
    if time_scale != 1:
        console.print(
            f"This walk takes {how_long} (every window and wait divided by {time_scale:g})."
        )
        return
    console.print(
        f"This walk takes {how_long} at production timings.", style="bold", soft_wrap=True
    )
    if "drift" in parts or "accuracy" in parts:
        console.print(
            "  The model's alerts look at the last hour. For a quicker look: "
            f"`sentimon demo --fast` ({expected_duration(parts, FAST['time_scale'])}), "
            f"or `--only service` ({expected_duration(('service',))}).",
            soft_wrap=True,
        )


def _check_faults(api_url: str) -> None:
    info = httpx.get(f"{api_url}/info", timeout=10).json()
    if not info["runtime"].get("fault_injection"):
        typer.echo(
            "The running API ignores injected faults, so the errors step cannot fail a "
            "request. Stop the stack (sentimon stack down) and run sentimon demo again: "
            "it starts the stack with SENTIMON_FAULT_INJECTION=1.",
            err=True,
        )
        raise typer.Exit(1)


def _summary(results: list[StepResult]) -> Table:
    table = Table("step", "traffic", "goal", "reached after", box=None, pad_edge=False)
    for r in results:
        after = _clock(r.seconds) if r.reached else f"[red]not within {_clock(r.seconds)}[/]"
        table.add_row(r.step.title, r.step.scenario, r.step.goal, after)
    return table


def demo_command(
    rps: Annotated[float, typer.Option(help="Requests per second in every step.")] = 10,
    error_rate: Annotated[
        float, typer.Option(help="Percent of requests of the errors step that ask for a 500.")
    ] = 70,
    fast: Annotated[
        bool,
        typer.Option(
            help="Start the stack with the test profile: every `for`, window and group "
            "timing divided by 20, 1 s scrapes (only when the stack is not running yet)."
        ),
    ] = False,
    time_scale: Annotated[
        float, typer.Option(min=1, help="With --fast: divide by this instead of 20.")
    ] = FAST["time_scale"],
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="Run only this part: `drift`, `accuracy` (each about 1.5 to 2 hours in "
            "production timings), `model` (both) or `service` (errors and confidence, "
            "about 17 minutes). Repeatable."
        ),
    ] = None,
    calm: Annotated[
        float | None,
        typer.Option(
            help="Seconds of normal traffic first, with no alert allowed to start "
            "[default: 4 scrapes]. An hour plus 30 min (ModelDrift's `for`) over the time "
            "scale shows that a whole window of everyday traffic raises no model alert."
        ),
    ] = None,
    step_timeout: Annotated[
        float | None,
        typer.Option(
            help="Give up on a step after this many seconds [default: 15 min / scale; "
            "2 h / scale for the steps that wait on a one-hour window]."
        ),
    ] = None,
    down: Annotated[bool, typer.Option(help="Stop the stack at the end.")] = False,
) -> None:
    """Walk the model's alerts (ModelDrift, ModelAccuracyLow) and the service's
    (HighErrorRate, LowModelConfidence) from calm to firing to resolved."""
    try:
        parts = parse_parts(only)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--only") from None
    settings = StackSettings(**{**FAST, "time_scale": time_scale}) if fast else StackSettings()
    console = Console(highlight=False)
    _say_how_long(console, parts, time_scale if fast else 1)
    _ensure_stack(settings, console)
    urls = {
        name: settings.url(name)
        for name in ("api", "prometheus", "alertmanager", "receiver", "console")
    }
    if "service" in parts:
        _check_faults(urls["api"])
    console.print(
        f"Watch it: {urls['console']}/ (the console)  {urls['prometheus']}/alerts  "
        f"{urls['alertmanager']}/#/alerts  {urls['receiver']}/alerts  "
        "(and Grafana's Overview where Grafana runs)"
    )
    scale = settings.time_scale
    calm_seconds = calm if calm is not None else 4 * durations.seconds(settings.scrape_interval)

    def timeout(step: Step) -> float:
        if step_timeout is not None:
            return step.minimum + step_timeout
        return step.minimum + (max(120.0, 7200 / scale) if step.slow else max(60.0, 900 / scale))

    def show(step: Step, since_step: float, t: Transition) -> None:
        source = _SOURCE[t.key.source]
        console.print(
            f"  {time.strftime('%H:%M:%S', time.localtime(t.at))} {_clock(since_step):>6}  "
            f"{step.title:<14} {source:<12} {t.key!s:<36} {t.old} -> [bold]{t.new}[/]",
            soft_wrap=True,
        )

    watcher = AlertWatcher(urls["prometheus"], urls["alertmanager"], WATCHED, urls["receiver"])
    watcher.poll()  # what is already there is no change
    steps, results = drill_steps(calm_seconds, parts), []
    try:
        for step in steps:
            console.print(
                f"[bold]{step.title}[/]: {step.scenario} traffic at {rps:g}/s until {step.goal}"
            )
            result = asyncio.run(
                run_step(
                    step,
                    api_url=urls["api"],
                    watcher=watcher,
                    rps=rps,
                    error_rate=error_rate,
                    timeout=timeout(step),
                    on_transition=show,
                )
            )
            results.append(result)
            if not result.reached:
                break
    except KeyboardInterrupt:
        console.print("interrupted")
    finally:
        watcher.close()
    console.print(_summary(results))
    if down:
        launcher.down(settings)
    else:
        console.print("The stack keeps running; stop it with: sentimon stack down")
    if len(results) < len(steps) or not all(r.reached for r in results):
        raise typer.Exit(1)

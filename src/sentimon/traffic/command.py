"""`sentimon traffic`, the typer command: parse, drive the chain, report, exit."""

from __future__ import annotations

import asyncio
import json
import random
import sys
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.live import Live

from sentimon.traffic.display import breakdown_table, refresh_live, summary_table, warning_lines
from sentimon.traffic.endpoints import DEFAULT_MIX, EndpointMix, MixError, parse_mix
from sentimon.traffic.report import failure, run_summary
from sentimon.traffic.runner import HttpSender, TrafficRun, run_chain
from sentimon.traffic.scenarios import (
    MIXED_SCENARIOS,
    SCENARIOS,
    ChainError,
    Phase,
    Scenario,
    build_scenario,
    parse_chain,
)

_SCENARIO_HELP = (
    "A scenario, or a chain run in order, as in normal:60,errors:120,normal:60 "
    "(a phase without :seconds lasts --duration). Scenarios: " + ", ".join(SCENARIOS) + "."
)


def _check_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise typer.BadParameter(str(exc), param_hint="'--url'") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise typer.BadParameter(
            f"{url!r} is not an http(s) URL, as in http://127.0.0.1:8000", param_hint="'--url'"
        )
    return url.rstrip("/")


async def _drive(
    run: TrafficRun,
    plan: list[tuple[Phase, Scenario]],
    *,
    rps: float,
    seed: int | None,
    timeout: float,
    live: Live | None,
) -> None:
    limits = httpx.Limits(
        max_connections=run.concurrency, max_keepalive_connections=run.concurrency
    )
    refresher = asyncio.create_task(refresh_live(live, run)) if live else None
    try:
        async with httpx.AsyncClient(
            base_url=run.url,
            timeout=timeout,
            limits=limits,
            headers={"user-agent": "sentimon-traffic"},
        ) as client:
            await run_chain(
                run,
                plan,
                base_rps=rps,
                send=HttpSender(client),
                rng=random.Random(seed),
                drain_seconds=timeout + 1,
            )
    finally:
        if refresher:
            refresher.cancel()


def _print_summary(summary: dict[str, Any]) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:  # a file or pipe has no width; rich would assume 80
        console.width = max(console.width, 120)
    title = f"traffic to {summary['url']} (latency in ms)"
    if summary["interrupted"]:
        title += ", interrupted"
    console.print(summary_table(summary, title))
    breakdown = breakdown_table(summary)
    if breakdown:
        console.print(breakdown)
    if summary["warnings"]:
        console.print(warning_lines(summary))


def _parse_endpoints(spec: str) -> EndpointMix:
    try:
        return parse_mix(spec)
    except MixError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--endpoints'") from None


def traffic_command(
    url: Annotated[str, typer.Option(help="Base URL of the sentimon API.")] = (
        "http://127.0.0.1:8000"
    ),
    scenario: Annotated[str, typer.Option(help=_SCENARIO_HELP)] = "normal",
    rps: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="Requests per second, started on a fixed schedule whatever the responses "
            "do (open loop); spike sends ten times this.",
        ),
    ] = 10.0,
    duration: Annotated[
        float, typer.Option(min=0.1, help="Seconds of a phase given without its own.")
    ] = 30.0,
    error_rate: Annotated[
        float,
        typer.Option(
            min=0,
            max=100,
            help="Percent of `errors` requests that ask for a 500 (X-Inject-Fault: error; "
            "the API honours it with SENTIMON_FAULT_INJECTION=1).",
        ),
    ] = 70.0,
    feedback: Annotated[
        float,
        typer.Option(
            min=0,
            max=100,
            help="Percent of successful predictions of texts with a known true label "
            "(normal, errors, slow, spike, world-change) followed by POST /feedback with "
            "that label (one per text of a batch).",
        ),
    ] = 0.0,
    bad_input: Annotated[
        float,
        typer.Option(
            min=0,
            max=100,
            help="Percent of requests, in every scenario, replaced by bad input the API must "
            "refuse with a 4xx: empty or too long text, a missing field, malformed JSON, a "
            "wrong content type, a batch over the limit. A 2xx or 5xx answer is a warning.",
        ),
    ] = 0.0,
    endpoints: Annotated[
        str,
        typer.Option(
            help="Shares of "
            + " and ".join(sorted(MIXED_SCENARIOS))
            + " requests per route: predict (/predict), batch (/predict/batch, 2 to 5 "
            "texts) and explain (/explain), as weights; a route left out gets none. Other "
            "scenarios send to /predict only.",
        ),
    ] = DEFAULT_MIX.spec(),
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            help="Most requests in flight; a send that comes due above it is skipped and reported.",
        ),
    ] = 100,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds before a request gives up.")] = (
        10.0
    ),
    seed: Annotated[
        int | None,
        typer.Option(help="Seed for the choice of texts, routes, bad input, faults and feedback."),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON summary on stdout instead of the live view."),
    ] = False,
) -> None:
    """Drive load at the API, with live progress and a closing summary (docs/traffic.md).

    Scenarios: normal (everyday positive, negative and neutral feedback), errors
    (--error-rate percent ask for a 500), low-confidence (texts the model is unsure of),
    slow (every request asks for a slow answer), drift (long out-of-domain texts),
    spike (normal at ten times --rps), world-change (sarcasm and new slang the model
    misreads; with --feedback its real accuracy falls). Faults need
    SENTIMON_FAULT_INJECTION=1 on the API. --bad-input sends requests the API must
    refuse with a 4xx, in any scenario.

    Exits 0; 1 when no request succeeded; 130 on Ctrl-C, after the summary.
    """
    try:
        phases = parse_chain(scenario, duration)
    except ChainError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--scenario'") from None
    mix = _parse_endpoints(endpoints)
    options = {"error_rate": error_rate, "feedback": feedback, "bad_input": bad_input}
    plan = [(p, build_scenario(p.scenario, endpoints=mix, **options)) for p in phases]
    run = TrafficRun(_check_url(url), concurrency)
    options = {"rps": rps, "seed": seed, "timeout": timeout}
    try:
        if json_output:
            asyncio.run(_drive(run, plan, live=None, **options))
        else:
            console = Console(stderr=True)
            with Live(console=console, auto_refresh=False, transient=True) as live:
                asyncio.run(_drive(run, plan, live=live, **options))
    except KeyboardInterrupt:
        run.interrupted = True
    summary = run_summary(run, run.now())
    if json_output:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        _print_summary(summary)
    if run.interrupted:
        raise typer.Exit(130)
    reason = failure(summary)
    if reason:
        typer.echo(f"error: {reason}", err=True)
        raise typer.Exit(1)

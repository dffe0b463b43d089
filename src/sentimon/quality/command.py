"""`sentimon quality`: the model-quality rules and their reference."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from sentimon.model.artifact import default_model_dir

quality_app = typer.Typer(
    help="Model quality: drift against the model card, accuracy estimates.", no_args_is_help=True
)


def _timestamp(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is neither a Unix time nor an ISO 8601 time") from None


@quality_app.command("rules")
def rules_command(
    window: Annotated[
        str, typer.Option(help="The window drift and accuracy look back over.")
    ] = "1h",
    model_dir: Annotated[
        Path | None,
        typer.Option(file_okay=False, help="Model whose card the rules read (default: shipped)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Rule file to write (default: deploy's).")
    ] = None,
) -> None:
    """Write the model-quality rules for a model card and a window: your own model's, or
    the shipped one's over another window (`make generate` then keeps that window)."""
    from sentimon import durations
    from sentimon.model.artifact import load_artifact
    from sentimon.quality.write import render_file, rules_file

    try:
        durations.seconds(window)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--window") from None
    path = out or rules_file()
    path.write_text(
        render_file(load_artifact(model_dir or default_model_dir()).card, window), encoding="utf-8"
    )
    typer.echo(f"wrote {path}; reload Prometheus to apply")


@quality_app.command("rebaseline")
def rebaseline_command(
    prometheus: Annotated[
        str, typer.Option(help="Prometheus that scrapes the API.")
    ] = "http://127.0.0.1:9090",
    range_: Annotated[
        str,
        typer.Option("--range", help="How much traffic before --at becomes the reference."),
    ] = "24h",
    at: Annotated[
        str | None,
        typer.Option(help="End of the window: Unix seconds or ISO 8601. Default: now."),
    ] = None,
    model_dir: Annotated[
        Path | None,
        typer.Option(
            file_okay=False, help="Model whose card gets the new reference (default: shipped)."
        ),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Rule file to regenerate (default: deploy's)."),
    ] = None,
    min_predictions: Annotated[
        int, typer.Option(min=1, help="Fewest predictions a reference may hold.")
    ] = 200,
) -> None:
    """Make a window of live traffic the drift reference: write it into the model card,
    regenerate the rules, and print how far each signal's reference moved."""
    from sentimon.quality.rebaseline import RebaselineError, rebaseline
    from sentimon.quality.write import rules_file

    try:
        done = rebaseline(
            model_dir or default_model_dir(),
            prometheus,
            range_,
            rules or rules_file(),
            at=_timestamp(at),
            min_predictions=min_predictions,
        )
    except RebaselineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"new reference: {done.predictions} predictions, the {range_} before the end")
    typer.echo("signal                 PSI of the new reference against the old")
    for name, value in done.shift.items():
        typer.echo(f"  {name:<20} {value:8.3f}")
    typer.echo(f"wrote {done.card_path} and {done.rules_path}; reload Prometheus to apply")

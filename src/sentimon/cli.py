"""The `sentimon` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from sentimon.alerts import RECEIVER_PORT
from sentimon.compose.command import compose_app
from sentimon.console.command import console_command
from sentimon.demo.command import demo_command
from sentimon.logs.command import logs_command
from sentimon.model.training.command import train_command
from sentimon.quality.command import quality_app
from sentimon.settings import Settings
from sentimon.stack.command import stack_app
from sentimon.traffic.command import traffic_command

app = typer.Typer(
    help="sentimon: a sentiment-analysis API that ships its own observability.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text: "[default: ...]" in an option's help is text, not rich markup.
    rich_markup_mode=None,
)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Bind address [default: SENTIMON_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: SENTIMON_PORT or 8000].")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes [default: SENTIMON_WORKERS or 1].")
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve /metrics here only [default: SENTIMON_METRICS_PORT or --port]."),
    ] = None,
) -> None:
    """Run the HTTP API (every SENTIMON_* variable applies; see docs/configuration.md)."""
    from sentimon.serving import serve as run_server

    overrides = {"host": host, "port": port, "workers": workers, "metrics_port": metrics_port}
    run_server(Settings(**{k: v for k, v in overrides.items() if v is not None}))


@app.command()
def predict(
    texts: Annotated[list[str], typer.Argument(help="One or more texts to classify.")],
    model_dir: Annotated[
        Path | None, typer.Option(help="Model directory [default: the shipped model].")
    ] = None,
) -> None:
    """Classify texts from the shell; prints one JSON object per text."""
    from sentimon.model.errors import ModelError
    from sentimon.model.runtime import Predictor

    settings = Settings() if model_dir is None else Settings(model_dir=model_dir)
    try:
        predictor = Predictor.load(
            settings.model_dir, threads=settings.onnx_threads, device=settings.device
        )
        predictions = predictor.predict_batch(texts)
    except ModelError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for text, p in zip(texts, predictions, strict=True):
        result = {"text": text, "label": p.label, "confidence": round(p.confidence, 4)}
        result |= {
            "scores": {k: round(v, 4) for k, v in p.scores.items()},
            "truncated": p.truncated,
        }
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


app.command("train")(train_command)
app.command("traffic")(traffic_command)

app.add_typer(stack_app, name="stack")
app.add_typer(compose_app, name="compose")
app.add_typer(quality_app, name="quality")
app.command("demo")(demo_command)
app.command("console")(console_command)
app.command("logs")(logs_command)

alerts_app = typer.Typer(help="Alert delivery.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("listen")
def alerts_listen(
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port Alertmanager's webhook posts to.")
    ] = RECEIVER_PORT,
) -> None:
    """Receive Alertmanager webhooks on /alerts: a line per alert on stderr, JSON on stdout."""
    import uvicorn
    from rich.console import Console

    from sentimon.alerts.receiver import create_receiver_app
    from sentimon.observability.logging import configure_logging

    console = Console(stderr=True, highlight=False)
    setup = configure_logging(level="INFO", log_dir=None)
    typer.echo(f"listening for Alertmanager webhooks on http://{host}:{port}/alerts", err=True)
    try:
        uvicorn.run(
            create_receiver_app(console.print),
            host=host,
            port=port,
            log_config=None,
            access_log=False,
        )
    finally:
        setup.stop()

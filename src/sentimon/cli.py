"""The `sentimon` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from sentimon.settings import Settings

app = typer.Typer(
    help="sentimon: a sentiment-analysis API that ships its own observability.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
) -> None:
    """Run the HTTP API (every SENTIMON_* variable applies; see docs/configuration.md)."""
    import uvicorn

    overrides = {
        k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None
    }
    settings = Settings(**overrides)
    options = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        "server_header": False,
        "log_level": settings.log_level.lower(),
    }
    if settings.workers == 1:
        from sentimon.api.app import create_app

        uvicorn.run(create_app(settings), **options)
        return
    # Workers are separate processes that build their own app from the environment.
    for name, value in overrides.items():
        os.environ[f"SENTIMON_{name.upper()}"] = str(value)
    uvicorn.run("sentimon.api.app:create_app", factory=True, workers=settings.workers, **options)


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


def _register_train() -> None:
    try:
        from sentimon.model.training.command import train_command
    except ImportError:  # the training package is optional at import; torch is imported lazily
        return
    app.command("train")(train_command)


_register_train()

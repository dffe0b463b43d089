"""deploy/compose.yaml as one Compose project: which services start, and when they are
healthy."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sentimon.compose.engine import Engine, EngineError, compose

DEFAULT_PROJECT = "sentimon"
# The compose variable of the API's syslog bind source, and its default.
SYSLOG_SOCKET_VARIABLE = "SENTIMON_SYSLOG_SOCKET"
SYSLOG_SOCKET = "/dev/log"


@dataclass
class Project:
    engine: Engine
    compose_file: Path
    env: dict[str, str] = field(default_factory=dict)
    """Compose variables this run sets (chosen images, the syslog socket)."""

    @property
    def name(self) -> str:
        return os.environ.get("COMPOSE_PROJECT_NAME", DEFAULT_PROJECT)

    def services(self) -> dict[str, dict]:
        """The services outside any profile, as the file writes them."""
        services = yaml.safe_load(self.compose_file.read_text())["services"]
        return {name: s for name, s in services.items() if not s.get("profiles")}

    def command(self, *args: str) -> list[str]:
        return [*compose(self.compose_file), *args]

    def run(
        self, *args: str, timeout: float = 900, check: bool = True, capture: bool = True
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            self.command(*args),
            capture_output=capture,
            text=True,
            timeout=timeout,
            env=self.engine.environ(self.env),
        )
        if check and result.returncode != 0:
            detail = (result.stderr or "").strip()[-3000:] if capture else ""
            raise EngineError(f"$ compose {' '.join(args)} failed\n{detail}")
        return result

    def states(self) -> dict[str, dict]:
        """Service name → Compose's view of its container (State, Health, ExitCode)."""
        listed = self.run("ps", "--all", "--format", "json", timeout=120).stdout
        rows = []
        for line in listed.splitlines():
            line = line.strip()
            if line.startswith("["):
                rows.extend(json.loads(line))
            elif line:
                rows.append(json.loads(line))
        return {row["Service"]: row for row in rows}

    def wait_healthy(
        self, services: list[str], timeout: float, tick: Callable[[], None] = lambda: None
    ) -> dict[str, dict]:
        """Until every service runs and is healthy (or has no check): their states, or
        EngineError naming the ones that are not."""
        deadline = time.monotonic() + timeout
        while True:
            tick()
            states = self.states()
            waiting = [s for s in services if not _ready(states.get(s))]
            if not waiting:
                return states
            failed = [s for s in waiting if _failed(states.get(s))]
            if failed or time.monotonic() > deadline:
                stuck = failed or waiting
                raise EngineError(
                    "not healthy: "
                    + ", ".join(f"{s} ({_describe(states.get(s))})" for s in stuck)
                    + "\n"
                    + self.run("logs", "--tail", "20", *stuck, check=False).stdout
                )
            time.sleep(2)


def _ready(state: dict | None) -> bool:
    return bool(state) and state["State"] == "running" and state.get("Health") in ("", "healthy")


def _failed(state: dict | None) -> bool:
    if not state:
        return False
    return state["State"] in ("exited", "dead") or state.get("Health") == "unhealthy"


def _describe(state: dict | None) -> str:
    if not state:
        return "no container"
    return ", ".join(filter(None, [state["State"], state.get("Health")]))


def without_missing_dependencies(
    services: dict[str, dict], left_out: set[str]
) -> tuple[list[str], dict[str, str]]:
    """(services to start, {service: the left-out one it needs}) for the rest."""
    start, dropped = [], {}
    for name, service in services.items():
        if name in left_out:
            continue
        needs = set(service.get("depends_on") or ()) & (left_out | set(dropped))
        if needs:
            dropped[name] = sorted(needs)[0]
        else:
            start.append(name)
    return start, dropped


def syslog_socket() -> str | None:
    """The host's syslog socket to mount into the API (SENTIMON_SYSLOG_SOCKET, else
    /dev/log), when it is one."""
    path = os.environ.get(SYSLOG_SOCKET_VARIABLE) or SYSLOG_SOCKET
    try:
        return path if stat.S_ISSOCK(os.stat(path).st_mode) else None
    except OSError:
        return None

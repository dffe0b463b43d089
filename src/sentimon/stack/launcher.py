"""`sentimon stack up / status / down`: the native stack's lifecycle."""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from sentimon.stack.components import COMPONENTS, Component
from sentimon.stack.layout import Layout
from sentimon.stack.processes import (
    Started,
    is_alive,
    is_healthy,
    launch,
    load_started,
    save_started,
    stop,
    wait_healthy,
)
from sentimon.stack.render import render_all
from sentimon.stack.settings import LOOPBACK, StackSettings


@dataclass
class ComponentState:
    """One row of the status table (and of `stack status --json`)."""

    name: str
    title: str
    url: str
    state: str
    """healthy, unhealthy, exited, stopped or not installed."""
    pid: int | None = None
    detail: str = ""
    """Why it is not healthy, or the command that installs it."""

    def as_dict(self) -> dict:
        return asdict(self)


class StackError(RuntimeError):
    """`stack up` could not bring a component up; everything it started is stopped again."""

    def __init__(self, message: str, states: list[ComponentState]) -> None:
        super().__init__(message)
        self.states = states


def _layout(settings: StackSettings) -> Layout:
    return Layout(settings.state_dir.resolve())


def port_holder(port: int) -> str | None:
    """None when 127.0.0.1:port is free; else who holds it, as far as we may know."""
    with socket.socket() as sock:
        # As the servers themselves bind: connections a stopped server closed, waiting in
        # TIME_WAIT for a minute, do not hold the port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
            return None
        except OSError:
            pass
    with contextlib.suppress(psutil.AccessDenied, PermissionError):
        for conn in psutil.net_connections("tcp"):
            listening = conn.status == psutil.CONN_LISTEN and conn.laddr
            if listening and conn.laddr.port == port and conn.pid:
                with contextlib.suppress(psutil.NoSuchProcess):
                    return f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
    return "another process"


def _port_in_use_message(component: Component, port: int, holder: str) -> str:
    hint = f"stop it, or pick another port with SENTIMON_STACK_{component.port_setting.upper()}"
    debian = component.binaries[0] if component.binaries else ""
    if debian.startswith("prometheus"):
        hint += f" (Debian runs its own service: sudo systemctl disable --now {debian})"
    return f"port {port} is taken by {holder}: {hint}"


def up(settings: StackSettings, on_start=lambda component: None) -> list[ComponentState]:
    """Start every installed component that is not already running and wait for each to be healthy.

    On any failure, what this call started is stopped again and StackError says why.
    """
    layout = _layout(settings)
    started = load_started(layout.root)
    available = [(c, binary) for c in COMPONENTS if (binary := c.find_binary())]
    render_all(settings, layout, [c for c, _ in available])

    fresh: list[Started] = []
    for component, binary in available:
        previous = started.get(component.name)
        if previous and is_alive(previous):
            continue
        port = component.port(settings)
        problem = None
        if holder := port_holder(port):
            problem = _port_in_use_message(component, port, holder)
        else:
            on_start(component)
            for directory in (layout.logs, layout.api_log_dir):
                directory.mkdir(parents=True, exist_ok=True)
            process = launch(
                component.name,
                component.log_name,
                component.argv(binary, settings, layout),
                env=os.environ | component.env(settings, layout),
                cwd=layout.root,
                log_dir=layout.logs,
                url=component.url(settings) + component.ui_path,
                health_url=component.url(settings) + component.health_path,
            )
            started[component.name] = process
            fresh.append(process)
            save_started(layout.root, started)
            problem = wait_healthy(process, settings.start_timeout_seconds)
        if problem:
            for process in reversed(fresh):
                stop(process)
                started.pop(process.name, None)
            save_started(layout.root, started)
            states = status(settings)
            failed = next(s for s in states if s.name == component.name)
            failed.state, failed.detail = "failed", problem
            raise StackError(f"{component.title}: {problem}", states)
    return status(settings)


def status(settings: StackSettings) -> list[ComponentState]:
    """Every component, installed or not, and how the one `stack up` started is doing."""
    started = load_started(_layout(settings).root)
    states = []
    for component in COMPONENTS:
        process = started.get(component.name)
        url = process.url if process else component.url(settings) + component.ui_path
        state = ComponentState(component.name, component.title, url, "stopped")
        if process is not None:
            state.pid = process.pid
            if not is_alive(process):
                state.state, state.detail = "exited", f"see {process.stderr}"
            elif is_healthy(process.health_url):
                state.state = "healthy"
            else:
                state.state, state.detail = "unhealthy", f"{process.health_url} does not answer 200"
        elif component.find_binary() is None:
            state.state, state.detail = "not installed", component.install
        states.append(state)
    return states


def down(settings: StackSettings) -> list[str]:
    """Stop everything `stack up` started, last started first; names what would not stop."""
    root = _layout(settings).root
    started = load_started(root)
    stubborn = [s.name for s in reversed(list(started.values())) if not stop(s)]
    save_started(root, {name: s for name, s in started.items() if name in stubborn})
    if not stubborn:
        (root / "stack.json").unlink(missing_ok=True)
    return stubborn


def state_dir(settings: StackSettings) -> Path:
    return _layout(settings).root

"""Starting, watching and stopping the stack's processes, with their pids kept on disk."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import psutil

STATE_FILE = "stack.json"


@dataclass
class Started:
    """One component process that `stack up` started."""

    name: str
    pid: int
    url: str
    health_url: str
    command: list[str]
    stdout: str
    stderr: str
    started_at: float = 0.0
    """The process's create time, so that a recycled pid is never taken for it."""


def load_started(state_dir: Path) -> dict[str, Started]:
    path = state_dir / STATE_FILE
    if not path.exists():
        return {}
    return {name: Started(**entry) for name, entry in json.loads(path.read_text()).items()}


def save_started(state_dir: Path, started: dict[str, Started]) -> None:
    path = state_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({name: asdict(s) for name, s in started.items()}, indent=2))
    tmp.replace(path)  # atomic: a crash never leaves half a state file


def launch(
    name: str,
    log_name: str,
    command: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log_dir: Path,
    url: str,
    health_url: str,
) -> Started:
    """Start a process in its own session (it outlives `stack up --detach`), its output going
    to <log_name>.stdout.log and <log_name>.stderr.log, which the collector tails."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout, stderr = log_dir / f"{log_name}.stdout.log", log_dir / f"{log_name}.stderr.log"
    with open(stdout, "ab") as out, open(stderr, "ab") as err:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    started_at = _create_time(process.pid) or 0.0
    return Started(
        name, process.pid, url, health_url, command, str(stdout), str(stderr), started_at
    )


def _create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return None


def is_alive(started: Started) -> bool:
    """The very process `stack up` started is running (not a zombie, not a recycled pid)."""
    try:
        process = psutil.Process(started.pid)
        # Within a second, not equal: psutil adds the boot time the kernel derives from
        # the wall clock, which moves when the clock is stepped (NTP, a VM's clock sync).
        # A recycled pid belongs to a process started much later.
        same = not started.started_at or abs(process.create_time() - started.started_at) < 1.0
        return same and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def is_healthy(health_url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(health_url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(started: Started, timeout: float) -> str | None:
    """None once healthy; else why not (exited, with the tail of its stderr, or timed out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(started):
            tail = Path(started.stderr).read_text(errors="replace")[-1500:]
            return f"exited during start; last lines of {started.stderr}:\n{tail}"
        if is_healthy(started.health_url):
            return None
        time.sleep(0.2)
    return f"not healthy at {started.health_url} after {timeout:.0f}s (see {started.stderr})"


def group_members(started: Started) -> list[psutil.Process]:
    """Every process of the component: it leads its own session, so its group is its pid.

    Found by group even when the leader is gone, so no orphaned worker is ever missed.
    """
    return [p for p in psutil.process_iter() if _in_group(p, started.pid)]


def stop(started: Started, timeout: float = 15.0) -> bool:
    """SIGTERM the component's whole process group, SIGKILL what is left; True when all are gone."""
    members = group_members(started)
    if not members:
        return True
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(started.pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(members, timeout=timeout)
    for process in alive:
        with contextlib.suppress(ProcessLookupError, psutil.NoSuchProcess):
            process.kill()
    _, alive = psutil.wait_procs(alive, timeout=5)
    return not alive


def _in_group(process: psutil.Process, group: int) -> bool:
    try:
        return os.getpgid(process.pid) == group
    except (ProcessLookupError, PermissionError):
        return False

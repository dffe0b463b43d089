"""Start real processes on free ports for the integration tests, and always stop them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str, interval: float = 0.05):
    """Poll `check` until it returns a truthy value; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # the server may not be listening yet
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(
        f"timed out after {timeout}s waiting for {what} (last error: {last_error!r})"
    )


@dataclass
class ApiServer:
    """A `sentimon serve` subprocess with its output captured to files."""

    process: subprocess.Popen
    port: int
    workdir: Path
    stdout_path: Path = field(init=False)
    stderr_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.stdout_path = self.workdir / "stdout.log"
        self.stderr_path = self.workdir / "stderr.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_api(
    workdir: Path, env: dict[str, str] | None = None, args: list[str] | None = None
) -> ApiServer:
    """Start `sentimon serve` on a free port and wait until /readyz answers 200."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    full_env = {**os.environ, "SENTIMON_LOG_DIR": str(workdir / "logs"), **(env or {})}
    cmd = [sys.executable, "-m", "sentimon", "serve", "--port", str(port), *(args or [])]
    with open(workdir / "stdout.log", "wb") as out, open(workdir / "stderr.log", "wb") as err:
        process = subprocess.Popen(cmd, stdout=out, stderr=err, env=full_env, cwd=workdir)
    server = ApiServer(process, port, workdir)

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(
                f"sentimon serve exited with {process.returncode}:\n{server.stderr()}"
            )
        return httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200

    try:
        wait_until(ready, 60, "sentimon serve to become ready")
    except BaseException:
        server.stop()
        raise
    return server

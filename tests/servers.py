"""Start real processes on free ports for the integration tests, and always stop them."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# Each pytest-xdist worker hands out ports from its own thousand, below the kernel's
# ephemeral range (32768 up on Linux): no other worker's server, and no client
# connection's local port, can take a port between free_port() and the server's bind.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_FIRST_PORT = 20000 + 1000 * (_WORKER % 12)
_next_port = itertools.count()


def free_port() -> int:
    """A port free now that no other test in this run has been given."""
    for _ in range(1000):
        port = _FIRST_PORT + next(_next_port) % 1000
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # held, or a previous run's closed connection waits there
            return port
    raise RuntimeError(f"no free port in {_FIRST_PORT}-{_FIRST_PORT + 999}")


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


@dataclass
class Rsyslog:
    """A real rsyslogd listening on a UDP port and writing every message to one file."""

    process: subprocess.Popen
    port: int
    output: Path
    workdir: Path
    socket: Path | None = None

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


RSYSLOGD = "/usr/sbin/rsyslogd"


def _start_rsyslogd(
    workdir: Path, inputs: str, port: int, family: int, address, what: str, path=None
) -> Rsyslog:
    """rsyslogd with the given input lines, writing all it receives to received.log;
    returned once a probe sent to `address` over `family` datagrams is in that file."""
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / "received.log"
    config = workdir / "rsyslog.conf"
    config.write_text(
        f'global(workDirectory="{workdir}")\n{inputs}*.* action(type="omfile" file="{output}")\n'
    )
    with open(workdir / "rsyslogd.err", "wb") as err:
        process = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", str(config), "-i", str(workdir / "rsyslogd.pid")],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    server = Rsyslog(process, port, output, workdir, path)

    def listening() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"rsyslogd exited: {(workdir / 'rsyslogd.err').read_text()}")
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.sendto(b"<14>probe: rsyslog is up", address)
        return "rsyslog is up" in server.text()

    try:
        wait_until(listening, 15, what, interval=0.2)
    except BaseException:
        server.stop()
        raise
    return server


def start_rsyslog(workdir: Path) -> Rsyslog:
    port = free_port()
    inputs = f'module(load="imudp")\ninput(type="imudp" address="127.0.0.1" port="{port}")\n'
    return _start_rsyslogd(
        workdir, inputs, port, socket.AF_INET, ("127.0.0.1", port), "rsyslogd to receive on UDP"
    )


def start_rsyslog_socket(workdir: Path) -> Rsyslog:
    """A real rsyslogd reading a unix socket of its own (never /dev/log), as a host's
    syslog daemon reads /dev/log; `port` is 0 and `socket` is the path."""
    path = workdir / "log.sock"
    inputs = f'module(load="imuxsock" SysSock.Use="off")\ninput(type="imuxsock" Socket="{path}")\n'
    return _start_rsyslogd(
        workdir, inputs, 0, socket.AF_UNIX, str(path), "rsyslogd to read its socket", path
    )


STACK_PORTS = (
    "api", "prometheus", "alertmanager", "node_exporter", "receiver",
    "loki", "loki_grpc", "alloy", "grafana", "console",
)  # fmt: skip


@dataclass
class NativeStack:
    """A `sentimon stack up --detach` on free ports, with its own state directory."""

    state_dir: Path
    ports: dict[str, int]
    env: dict[str, str]

    def url(self, component: str) -> str:
        return f"http://127.0.0.1:{self.ports[component]}"

    def sentimon(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "sentimon", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def up(self) -> subprocess.CompletedProcess:
        return self.sentimon("stack", "up", "--detach")

    def down(self) -> subprocess.CompletedProcess:
        return self.sentimon("stack", "down")


def native_stack(state_dir: Path, env: dict[str, str] | None = None) -> NativeStack:
    """Settings for a stack on free ports (not started: call .up())."""
    ports = {name: free_port() for name in STACK_PORTS}
    full_env = {
        **os.environ,
        "SENTIMON_STACK_STATE_DIR": str(state_dir),
        **{f"SENTIMON_STACK_{name.upper()}_PORT": str(port) for name, port in ports.items()},
        **(env or {}),
    }
    return NativeStack(state_dir, ports, full_env)

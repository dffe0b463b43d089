"""Shared pieces of the HTTP benchmarks: a server on a free port, wrk with a POST script."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from servers import free_port, wait_until  # noqa: E402

TEXT = "@united thanks for the quick rebooking, the crew on the second flight was lovely"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _taskset(cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus] if cpus and shutil.which("taskset") else []


@contextmanager
def server(cmd: list[str], env: dict[str, str], cpus: str | None = None, ready_path: str = "/readyz"):
    """Run `cmd` (which must bind the port in env['PORT']) until the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix="sentimon-bench-"))
    port = free_port()
    full_env = {**os.environ, **env, "SENTIMON_PORT": str(port), "PORT": str(port), "SENTIMON_LOG_DIR": str(workdir / "logs")}
    with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
        proc = subprocess.Popen([*_taskset(cpus), *cmd], env=full_env, stdout=out, stderr=err, cwd=workdir)
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited: {(workdir / 'stderr').read_text()[-2000:]}")
            return httpx.get(url + ready_path, timeout=1).status_code == 200

        wait_until(ready, 60, f"{cmd} to start")
        yield url, proc, time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(15)
        shutil.rmtree(workdir, ignore_errors=True)


def wrk(url: str, path: str = "/predict", connections: int = 8, seconds: int = 10, cpus: str | None = None) -> dict:
    """Requests/s and latency percentiles from wrk with a JSON POST body."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    body = json.dumps({"text": TEXT})
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    try:
        out = subprocess.run(
            [*_taskset(cpus), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url + path],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        script.unlink()
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {
        f"p{p}_ms": round(float(v) * _UNITS[u], 3)
        for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    return {"rps": round(rps, 1), **latency}

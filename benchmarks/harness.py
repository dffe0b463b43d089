"""Shared pieces of the benchmarks: servers on free ports, wrk with a POST script, a soak
of texts of varied length, the machine."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from servers import free_port, wait_until  # noqa: E402

TEXT = "@united thanks for the quick rebooking, the crew on the second flight was lovely"
BODY = json.dumps({"text": TEXT}).encode()
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
# Variables that would make a run depend on the shell it was started from.
_INHERITED_OUT = ("SENTIMON_", "PROMETHEUS_MULTIPROC_DIR")


def sentimon_command() -> list[str]:
    """`sentimon` as installed next to this interpreter (the console script users run)."""
    script = Path(sys.executable).with_name("sentimon")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sentimon"]


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_OUT)}
    return env | extra


def _taskset(cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus] if cpus and shutil.which("taskset") else []


def cpus_for_pinning() -> tuple[str | None, str | None]:
    """(server CPUs, wrk CPUs) for pinned variants; None where there is nothing to separate."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return str(available[0]), str(available[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen


@contextmanager
def server(
    cmd: list[str], env: dict[str, str], cpus: str | None = None, ready_path: str = "/readyz"
) -> Iterator[Server]:
    """Run `cmd` (which must bind the port in SENTIMON_PORT or PORT) until the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix="sentimon-bench-"))
    port = free_port()
    full_env = clean_env(
        {"SENTIMON_LOG_DIR": str(workdir / "logs")}
        | env
        | {"SENTIMON_PORT": str(port), "PORT": str(port)}
    )
    with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
        proc = subprocess.Popen(
            [*_taskset(cpus), *cmd], env=full_env, stdout=out, stderr=err, cwd=workdir
        )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd} exited: {(workdir / 'stderr').read_text()[-2000:]}")
        return httpx.get(url + ready_path, timeout=1).status_code == 200

    try:
        wait_until(ready, 60, f"{cmd} to start", interval=0.01)
        yield Server(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children so far."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def wrk(
    url: str,
    connections: int,
    seconds: float,
    cpus: str | None = None,
    server_pid: int | None = None,
    path: str = "/predict",
) -> dict:
    """Requests/s and latency percentiles from wrk (one thread) POSTing the JSON of TEXT.

    With `server_pid`, also the server's CPU time per request, which other load on
    the machine disturbs far less than requests/s.
    """
    fd, name = tempfile.mkstemp(suffix=".lua")
    os.close(fd)
    script = Path(name)
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps({'text': TEXT}))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )
    command = [
        *_taskset(cpus),
        *("wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script)),
        url + path,
    ]
    cpu_before = _cpu_seconds(server_pid) if server_pid else 0.0
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        script.unlink()
    cpu = _cpu_seconds(server_pid) - cpu_before if server_pid else None
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    latency = {
        f"p{p}_ms": round(float(v) * _UNITS[u], 3)
        for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    result = {"rps": round(rps, 1), **latency}
    if cpu is not None:
        result["cpu_us_per_request"] = round(cpu / requests * 1e6, 1)
    return result


def varied_text(rng: random.Random, longest: int = 5000) -> str:
    """TEXT's words up to a length from 1 to `longest` characters, log-uniform, so that
    short texts and every token count up to the model window come up as often as long ones."""
    chars = int(longest ** rng.random())
    words = TEXT.split()
    text = ""
    while len(text) < chars:
        text += rng.choice(words) + " "
    return text[:chars].strip() or words[0]


def _soak_requests(count: int, seed: int) -> list[tuple[str, dict]]:
    """/predict with one text and /predict/batch with 1 to 64 texts, in turn."""
    rng = random.Random(seed)
    return [
        ("/predict", {"text": varied_text(rng)})
        if i % 2 == 0
        else ("/predict/batch", {"texts": [varied_text(rng) for _ in range(rng.randint(1, 64))]})
        for i in range(count)
    ]


async def _post_all(url: str, requests: list[tuple[str, dict]], connections: int) -> None:
    pending = iter(requests)
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def connection() -> None:
            for path, body in pending:
                response = await client.post(path, json=body)
                if response.status_code != 200:
                    raise RuntimeError(f"POST {path} answered {response.status_code}")

        await asyncio.gather(*(connection() for _ in range(connections)))


def soak(url: str, requests: int, connections: int = 8, seed: int = 13) -> dict:
    """POST `requests` seeded requests of texts of varied length over `connections`."""
    bodies = _soak_requests(requests, seed)
    started = time.perf_counter()
    asyncio.run(_post_all(url, bodies, connections))
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "texts": sum(len(b.get("texts", [None])) for _, b in bodies),
    }


def process_memory(pid: int) -> list[dict]:
    """Resident memory of a server and of each of its children (workers), in MB."""
    root = psutil.Process(pid)
    children = root.children(recursive=True)
    rows = []
    for proc in [root, *children]:
        try:
            rss = proc.memory_info().rss
            cmdline = " ".join(proc.cmdline())
        except psutil.NoSuchProcess:
            continue
        if proc.pid == root.pid:
            role = "supervisor" if children else "server"
        elif "resource_tracker" in cmdline:
            role = "resource tracker"
        else:
            role = "worker"
        rows.append({"pid": proc.pid, "role": role, "rss_mb": round(rss / 1e6, 1)})
    return rows


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _os_name() -> str:
    try:
        release = platform.freedesktop_os_release()["PRETTY_NAME"]
    except (OSError, KeyError):
        release = platform.system()
    return f"{release}, kernel {platform.release()}"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict:
    """What the figures were measured on."""
    wrk_version = ""
    if shutil.which("wrk"):
        wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    packages = ("onnxruntime", "uvicorn", "fastapi", "starlette", "pydantic", "uvloop", "httptools")
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": _os_name(),
        "python": platform.python_version(),
        "wrk": wrk_version.split(" [")[0].strip() or None,
        **{name: _version(name) for name in packages},
    }


async def asgi_post(app, body: bytes = BODY, path: str = "/predict") -> None:
    """POST `body` as JSON to `app` through its ASGI interface, as a server would; 200 or raise."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    statuses = []

    async def receive():
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    if statuses != [200]:
        raise RuntimeError(f"POST {path} answered {statuses}")


def print_results(results: dict, json_path: Path | None) -> None:
    """A benchmark's report: its results as JSON on stdout, and in `json_path` if given."""
    text = json.dumps(results, indent=2)
    if json_path:
        json_path.write_text(text + "\n")
    print(text)  # noqa: T201 - a benchmark's output is its report

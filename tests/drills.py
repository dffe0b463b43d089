"""What the end-to-end alert tests share: a stack on the test profile, `sentimon traffic`
in the background, and what the webhook receiver got."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
from servers import NativeStack, native_stack


def scaled_stack(state_dir: Path, time_scale: int, **env: str) -> NativeStack:
    """A stack on free ports with every rule and group timing divided by `time_scale`,
    1 s scrapes and evaluations, and fault injection on; started (stop it with .down())."""
    stack = native_stack(
        state_dir,
        env={
            "SENTIMON_STACK_TIME_SCALE": str(time_scale),
            "SENTIMON_STACK_SCRAPE_INTERVAL": "1s",
            "SENTIMON_STACK_EVALUATION_INTERVAL": "1s",
            "SENTIMON_FAULT_INJECTION": "true",
            **env,
        },
    )
    result = stack.up()
    assert result.returncode == 0, result.stdout + result.stderr
    return stack


def traffic(stack: NativeStack, scenario: str, rps: float, *extra: str) -> subprocess.Popen:
    """`sentimon traffic` in the background (its JSON summary on stdout)."""
    command = [sys.executable, "-m", "sentimon", "traffic", "--url", stack.url("api")]
    command += ["--scenario", scenario, "--rps", str(rps), "--json", *extra]
    return subprocess.Popen(
        command, env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen, *, early: bool = True) -> None:
    """Stop the traffic (Ctrl-C: it prints its summary and exits 130) once it has done its job;
    with `early=False`, wait for it to end on its own, successfully."""
    if early and process.poll() is None:
        process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    ok = {0, 130} if early else {0}
    assert process.returncode in ok, f"sentimon traffic exited {process.returncode}:\n{err}"


def notifications(stack: NativeStack, alertname: str, status: str, severity: str) -> list[dict]:
    """Alerts the webhook receiver got with that name, status and severity, oldest first."""
    received = httpx.get(f"{stack.url('receiver')}/alerts", timeout=10).json()
    return [
        alert
        for notification in received
        for alert in notification["alerts"]
        if alert["labels"]["alertname"] == alertname
        and alert["status"] == status
        and alert["labels"]["severity"] == severity
    ]

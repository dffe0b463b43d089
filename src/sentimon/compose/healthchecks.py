"""Run the health checks of a Compose project's podman containers, over and over.

podman 4.3 schedules health checks with systemd timers; where systemd is not PID 1 they
never run, and every container stays "starting". `sentimon compose up` starts this
loop in the background under podman: python -m sentimon.compose.healthchecks PROJECT SECONDS
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time


def _containers(project: str) -> list[str]:
    listed = subprocess.run(
        [
            "podman",
            "ps",
            "--filter",
            f"label=com.docker.compose.project={project}",
            "--format",
            "{{.ID}} {{.Status}}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Only containers that have a check say "(healthy)", "(unhealthy)" or "(starting)".
    return [line.split()[0] for line in listed.stdout.splitlines() if "(" in line]


def tick(project: str) -> None:
    for container in _containers(project):
        # Exit status 1 is an unhealthy answer, which podman has recorded: nothing to do.
        subprocess.run(["podman", "healthcheck", "run", container], capture_output=True, timeout=60)


def main(project: str, seconds: float) -> None:
    while True:
        # A check that hangs is podman's timeout to report, not a reason to stop.
        with contextlib.suppress(subprocess.TimeoutExpired):
            tick(project)
        time.sleep(seconds)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))

"""docs/troubleshooting.md: every command of its bash blocks, run against a real native stack."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from servers import NativeStack, native_stack

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs/troubleshooting.md"
NOT_RUN = "# not run by the test:"
NEEDS_STACK = "# needs: stack"
# The documented default ports, and the native stack's component behind each.
DEFAULT_PORTS = {
    "8000": "api",
    "9090": "prometheus",
    "9093": "alertmanager",
    "9100": "node_exporter",
    "9095": "receiver",
}
PORT = re.compile(r"(?<=:)(" + "|".join(DEFAULT_PORTS) + r")\b")
EXPECTED_EXIT = re.compile(r"#\s*exit (\d)(?: or (\d))?:")
# Commands whose answer catches up with the stack (a target's first scrape, a log line
# written 20 ms late) get this long to pass before they fail.
SETTLE_SECONDS = 20

pytestmark = pytest.mark.skipif(
    not (shutil.which("prometheus") and shutil.which("prometheus-alertmanager")),
    reason="Debian's prometheus and prometheus-alertmanager are not installed (make install-test)",
)


def _bash_blocks(text: str) -> list[list[str]]:
    """The lines of every ```bash block, a command continued with `\\` joined into one."""
    blocks = re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)
    return [re.sub(r"\\\n\s*", "", block).splitlines() for block in blocks]


def _commands(block: list[str]) -> list[str]:
    return [line for line in block if line.strip() and not line.lstrip().startswith("#")]


def _expected_exits(command: str) -> set[int]:
    found = EXPECTED_EXIT.search(command)
    return {int(code) for code in found.groups() if code} if found else {0}


def _for_stack(command: str, stack: NativeStack) -> str:
    command = PORT.sub(lambda m: str(stack.ports[DEFAULT_PORTS[m.group(1)]]), command)
    return command.replace("--duration 60", "--duration 5")


def test_every_bash_block_is_run_or_says_why_not():
    blocks = _bash_blocks(DOC.read_text())
    assert blocks
    for block in blocks:
        first = block[0] if block else ""
        assert first.startswith((NEEDS_STACK, NOT_RUN)), f"unmarked block: {block}"
        if first.startswith(NOT_RUN):
            assert first.removeprefix(NOT_RUN).strip(), f"no reason given: {first}"
        assert _commands(block), f"a block with no command: {block}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # The state directory is .sentimon in the commands' working directory, as documented.
    workdir = tmp_path_factory.mktemp("troubleshooting")
    stack = native_stack(
        workdir / ".sentimon",
        env={"SENTIMON_STACK_SCRAPE_INTERVAL": "1s", "SENTIMON_STACK_EVALUATION_INTERVAL": "1s"},
    )
    stack.env.pop("SENTIMON_LOG_DIR", None)  # `sentimon logs` reads the stack's, as documented
    stack.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{stack.env['PATH']}"
    stack.workdir = workdir
    result = stack.up()
    try:
        assert result.returncode == 0, result.stdout + result.stderr
        yield stack
    finally:
        result = stack.down()
        assert result.returncode == 0, result.stderr


def _run(command: str, stack: NativeStack) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=stack.workdir,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_stack_command_runs_as_documented(stack):
    blocks = [b for b in _bash_blocks(DOC.read_text()) if b[0].startswith(NEEDS_STACK)]
    ran = 0
    for block in blocks:
        for documented in _commands(block):
            command = _for_stack(documented, stack)
            for port in (p for p in DEFAULT_PORTS if f":{p}" in command):
                pytest.fail(f"default port {port} left in: {command}")
            expected = _expected_exits(documented)
            deadline = time.monotonic() + SETTLE_SECONDS
            while True:
                result = _run(command, stack)
                printed = (result.stdout + result.stderr).strip()
                if (result.returncode in expected and printed) or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert result.returncode in expected, (
                f"{command}\nexited {result.returncode}, documented {sorted(expected)}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
            assert printed, f"{command} printed nothing"
            ran += 1
    assert ran >= 20, f"only {ran} commands ran"

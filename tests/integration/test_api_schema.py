"""Schemathesis against a real `sentimon serve`: every operation of the OpenAPI document,
every check (server errors, status codes, content types, response schemas, schema-valid
data accepted and invalid data refused, undeclared methods), and not one failure.

It runs Schemathesis's command line rather than its pytest plugin, which does not run
under the pytest this suite uses (9.2). tests/integration/schemathesis.toml says why
POST /feedback may refuse schema-valid data.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).with_name("schemathesis.toml")
# About 230 cases, 15 to 20 s here: examples, every boundary of every limit, then fuzzing.
MAX_EXAMPLES = 25


def test_the_service_does_what_its_openapi_document_says(api_factory, tmp_path):
    server = api_factory()
    document = httpx.get(f"{server.url}/openapi.json", timeout=10).raise_for_status().json()
    operations = sum(len(methods) for methods in document["paths"].values())
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "1",  # the same cases every run; a failure replays
        "--workers",
        "2",
    ]
    # In tmp_path: Schemathesis and Hypothesis keep their databases in the working directory.
    run = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False
    )
    report = run.stdout[-12000:] + run.stderr[-4000:]
    assert run.returncode == 0, report
    assert f"Selected: {operations}/{operations}" in run.stdout, report
    assert f"Tested: {operations}" in run.stdout, report

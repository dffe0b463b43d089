"""The wheel and the API image ship src/sentimon without src/sentimon_generate: every
module of the service imports, and every command starts, without the generators."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys

import sentimon

# Python refuses an import whose sys.modules entry is None: as if the package were absent.
_WITHOUT = "import sys; sys.modules['sentimon_generate'] = None\n"


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT + code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_every_module_of_the_service_imports_without_the_generators():
    modules = [
        m.name
        for m in pkgutil.walk_packages(sentimon.__path__, "sentimon.")
        # training: PyTorch's, only for `sentimon train`; __main__ would run the CLI.
        if ".training" not in m.name and not m.name.endswith("__main__")
    ]
    result = _run(f"import importlib\nfor name in {modules!r}: importlib.import_module(name)")
    assert result.returncode == 0, result.stderr


def test_stack_check_skips_the_generated_files_check_naming_why():
    result = _run(
        "import runpy\n"
        "sys.argv = ['sentimon', 'stack', 'check', '--only', 'generated']\n"
        "runpy.run_module('sentimon', run_name='__main__')"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped" in result.stdout
    assert "no generators here" in result.stdout

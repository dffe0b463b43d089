"""`sentimon train` as the user meets it: help without torch, clear errors."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from sentimon.cli import app
from sentimon.model.training import command

runner = CliRunner()


def test_importing_the_command_does_not_import_torch():
    code = (
        "import sys, sentimon.cli, sentimon.model.training.command; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_help_lists_the_options():
    result = runner.invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    for option in ("--data", "--text-col", "--label-col", "--epochs", "--out", "--limit", "--seed"):
        assert option in result.output


def test_missing_torch_names_the_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        command.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch" else real(name, *a),
    )
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 2
    assert "pip install -e '.[train]'" in result.output
    assert "torch==2.13.0" in result.output


@pytest.mark.training
def test_missing_data_file_is_a_clean_error(tmp_path):
    pytest.importorskip("torch", reason="training tests need PyTorch: pip install -e '.[train]'")
    result = runner.invoke(
        app, ["train", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "training data not found" in result.output
    assert "Traceback" not in result.output

"""The one parser of Prometheus durations, and the commands that take one."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sentimon import durations
from sentimon.cli import app
from sentimon.quality.write import written_window


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("15s", 15),
        ("5m", 300),
        ("1h30m", 5400),
        ("30d", 2_592_000),
        ("1w", 604_800),
    ],
)
def test_a_duration_is_read_as_prometheus_reads_it(text, seconds):
    assert durations.seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "m5", "1.5h", "5 m", "5mins", "-5m", "1h 30m"])
def test_anything_else_is_refused_with_examples(text):
    assert not durations.is_duration(text)
    with pytest.raises(ValueError, match=r"not a duration \(30s, 15m"):
        durations.seconds(text)


def test_quality_rules_writes_the_window_asked_for_and_refuses_a_bad_one(tmp_path):
    out = tmp_path / "model_quality.yml"
    result = CliRunner().invoke(app, ["quality", "rules", "--window", "2h", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert written_window(out.read_text()) == "2h"
    assert "[2h]" in out.read_text()
    bad = CliRunner().invoke(app, ["quality", "rules", "--window", "2 hours", "--out", str(out)])
    assert bad.exit_code == 2
    assert "not a duration" in bad.output

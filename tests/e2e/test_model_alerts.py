"""The model's alerts end to end: `sentimon demo --only model` on the test profile.

Real Prometheus and Alertmanager from Debian, the real API, the webhook receiver.
The time scale is 60, so the one-hour rule window lasts a minute and each step a
minute or two: against the drift reference the model card ships, an hour's worth of
everyday traffic plus ModelDrift's `for` (90 s) raises no model alert, drift traffic
fires ModelDrift and normal traffic resolves it, and world-change traffic with wrong
answers reported by feedback fires ModelAccuracyLow, which normal traffic resolves.
"""

from __future__ import annotations

import re
import shutil

import pytest
from servers import native_stack

pytestmark = pytest.mark.skipif(
    not (shutil.which("prometheus") and shutil.which("prometheus-alertmanager")),
    reason="Debian's prometheus and prometheus-alertmanager are not installed (make install-test)",
)

TIME_SCALE = 60  # the 1h window -> 60 s, ModelDrift's `for: 30m` -> 30 s


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    stack = native_stack(tmp_path_factory.mktemp("model-drill"), env={"COLUMNS": "220"})
    result = stack.sentimon(
        "demo", "--fast", "--time-scale", str(TIME_SCALE), "--only", "model",
        "--calm", "90", "--rps", "20", "--down",
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (stack.state_dir / "stack.json").exists()  # --down stopped everything
    return result.stdout


def _lines(output: str, step: str) -> list[str]:
    """The transition lines printed during the steps titled `step`."""
    return [line for line in output.splitlines() if re.match(rf"\s+\S+\s+\+\S+\s+{step}\s", line)]


def _seen(output: str, source: str, alert: str, change: str) -> bool:
    return re.search(rf"{source}\s+{re.escape(alert)}\s+{change}", output) is not None


def test_an_hour_of_everyday_traffic_against_the_shipped_reference_raises_no_model_alert(
    drill,
):
    calm = _lines(drill, "calm")
    assert not [line for line in calm if re.search(r"\bModel\w+\{", line)], calm
    for line in calm:
        assert "-> pending" not in line and "-> firing" not in line, line
    assert re.search(r"calm\s+normal\s+90 s of normal traffic, no alert active\s+\+1:3\d", drill)


def test_drift_traffic_fires_model_drift_and_normal_traffic_resolves_it(drill):
    drift = "ModelDrift{severity=warning}"
    for source, change in [
        ("Prometheus", "inactive -> pending"),
        ("Prometheus", "pending -> firing"),
        ("receiver", "none -> firing"),
        ("Prometheus", "firing -> inactive"),
        ("receiver", "firing -> resolved"),
    ]:
        assert _seen(drill, source, drift, change), (source, change)
    assert re.search(r"ModelDrift notified\s+\+\d+:\d\d", drill)
    assert re.search(r"ModelDrift resolved\s+\+\d+:\d\d", drill)


def test_wrong_answers_reported_by_feedback_fire_model_accuracy_low_then_resolve(drill):
    accuracy = "ModelAccuracyLow{severity=critical}"
    for source, change in [
        ("Prometheus", "inactive -> pending"),
        ("Prometheus", "pending -> firing"),
        ("Alertmanager", "resolved -> active"),
        ("receiver", "none -> firing"),
        ("receiver", "firing -> resolved"),
    ]:
        assert _seen(drill, source, accuracy, change), (source, change)
    # Before the world changed, the feedback said the model was right: no accuracy alert.
    before = drill.split("world change: ")[0]
    assert "ModelAccuracyLow" not in before.split("calm: ")[1]
    assert re.search(r"ModelAccuracyLow \(critical\) notified\s+\+\d+:\d\d", drill)
    assert re.search(r"ModelAccuracyLow resolved\s+\+\d+:\d\d", drill)

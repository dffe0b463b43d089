"""`sentimon demo --fast --only service`: from an empty state directory to a stopped stack.

The model's part of the drill has its own test, on a faster profile (test_model_alerts.py).
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


def test_the_drill_walks_both_alerts_from_calm_to_firing_to_resolved(tmp_path):
    stack = native_stack(tmp_path / "demo", env={"COLUMNS": "200"})
    result = stack.sentimon(
        "demo", "--fast", "--only", "service", "--down", "--rps", "10", timeout=600
    )
    output = result.stdout
    assert result.returncode == 0, output + result.stderr

    def seen(source: str, alert: str, change: str) -> bool:
        return re.search(rf"{source}\s+{re.escape(alert)}\s+{change}", output) is not None

    critical, confidence = (
        "HighErrorRate{severity=critical}",
        "LowModelConfidence{severity=warning}",
    )
    for alert in (critical, confidence):
        assert seen("Prometheus", alert, "inactive -> pending")
        assert seen("Prometheus", alert, "pending -> firing")
        assert seen("Alertmanager", alert, "resolved -> active")
        assert seen("receiver", alert, "none -> firing")
        assert seen("Prometheus", alert, "firing -> inactive")
        assert seen("receiver", alert, "firing -> resolved")
    for goal in ("HighErrorRate (critical) notified", "LowModelConfidence resolved"):
        assert re.search(rf"{re.escape(goal)}\s+\+\d+:\d\d", output), goal
    assert not (stack.state_dir / "stack.json").exists()  # --down stopped everything

"""The SLO page end to end: total failure -> burn-rate page at the webhook receiver -> resolved.

The rules are rules/slo.yml as production has them, rendered for a faster test profile
than the drill's (test_alert_drill.py): every window divided by 60, so the page's 1h and
5m are 60 s and 5 s, and its 6h and 30m 6 minutes and 30 s. The 30-day window becomes
12 hours, far longer than the test: the budget is not what this test is about.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from drills import finish, notifications, scaled_stack, traffic
from servers import NativeStack, wait_until

from sentimon.demo.watch import AlertWatcher

TIME_SCALE = 60
PAGE = "AvailabilityBudgetBurn"

pytestmark = pytest.mark.skipif(
    not (shutil.which("prometheus") and shutil.which("prometheus-alertmanager")),
    reason="Debian's prometheus and prometheus-alertmanager are not installed (make install-test)",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[NativeStack]:
    stack = scaled_stack(tmp_path_factory.mktemp("slo"), TIME_SCALE)
    yield stack
    stack.down()


@pytest.fixture
def watcher(stack) -> Iterator[AlertWatcher]:
    watcher = AlertWatcher(stack.url("prometheus"), stack.url("alertmanager"), frozenset({PAGE}))
    yield watcher
    watcher.close()


def _traffic(stack: NativeStack, scenario: str, *extra: str) -> subprocess.Popen:
    return traffic(stack, scenario, 20, *extra)


def _received(stack: NativeStack, status: str, severity: str) -> list[dict]:
    return notifications(stack, PAGE, status, severity)


def _state(watcher: AlertWatcher, source: str, severity: str) -> str | None:
    watcher.poll()
    return watcher.state(source, PAGE, severity)


def test_total_failure_pages_through_alertmanager_and_resolves(stack, watcher):
    finish(_traffic(stack, "normal:15"), early=False)
    assert not _received(stack, "firing", "critical"), "paged on healthy traffic"

    failing = _traffic(stack, "errors:60", "--error-rate", "100")
    try:
        wait_until(
            lambda: _received(stack, "firing", "critical"), 45, "the SLO page at the receiver"
        )
        # The ticket burns too (its windows hold the whole short history), and
        # Alertmanager holds it under the page of the same SLO and job.
        wait_until(
            lambda: _state(watcher, "alertmanager", "warning") == "suppressed",
            20,
            "the ticket suppressed under the page",
            interval=0.5,
        )
        assert not _received(stack, "firing", "warning")
    finally:
        finish(failing)

    page = _received(stack, "firing", "critical")[0]
    assert page["labels"] | {"job": "sentimon", "slo": "availability"} == page["labels"]
    assert "availability objective (99.9%)" in page["annotations"]["description"]
    assert page["annotations"]["runbook_url"].endswith("docs/runbooks.md#availabilitybudgetburn")

    # Healthy again: the 5 s and 30 s windows (5m and 30m) clear, and the page resolves.
    recovery = _traffic(stack, "normal:90")
    try:
        wait_until(lambda: _received(stack, "resolved", "critical"), 80, "the resolved SLO page")
    finally:
        finish(recovery)

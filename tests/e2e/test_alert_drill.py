"""The alert drill end to end: traffic -> API -> Prometheus -> Alertmanager -> webhook receiver.

Real Prometheus, Alertmanager and Node Exporter from Debian, the real API with fault
injection on, driven by `sentimon traffic`. The stack runs the test profile: the same
rule and Alertmanager files as production, rendered with every `for`, range window and
group timing divided by TIME_SCALE, and 1 s scrapes and evaluations.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import pytest
from drills import finish, notifications, scaled_stack, traffic
from servers import NativeStack, wait_until

from sentimon.demo.watch import AlertWatcher

TIME_SCALE = 20  # 5m -> 15 s, 2m -> 6 s, 1m -> 3 s; Alertmanager's group_wait 10s -> 0.5 s

pytestmark = pytest.mark.skipif(
    not (shutil.which("prometheus") and shutil.which("prometheus-alertmanager")),
    reason="Debian's prometheus and prometheus-alertmanager are not installed (make install-test)",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[NativeStack]:
    stack = scaled_stack(
        tmp_path_factory.mktemp("drill"), TIME_SCALE, SENTIMON_FAULT_SLOW_SECONDS="1.5"
    )
    yield stack
    stack.down()


@pytest.fixture
def watcher(stack) -> Iterator[AlertWatcher]:
    names = frozenset({"HighErrorRate", "LowModelConfidence", "HighRequestLatency"})
    watcher = AlertWatcher(stack.url("prometheus"), stack.url("alertmanager"), names)
    yield watcher
    watcher.close()


def wait_state(watcher: AlertWatcher, source: str, name: str, severity: str, state: str, timeout):
    def reached():
        watcher.poll()
        return watcher.state(source, name, severity) == state

    wait_until(reached, timeout, f"{source} {name}{{severity={severity}}} {state}", interval=0.5)


def fires_and_notifies(stack, watcher, alertname: str, severity: str, timeout: float) -> dict:
    """Wait until Prometheus fires the alert and the receiver has it; the alert as received."""
    wait_state(watcher, "prometheus", alertname, severity, "firing", timeout)
    wait_until(
        lambda: notifications(stack, alertname, "firing", severity),
        20,
        f"{alertname}{{severity={severity}}} at the receiver",
    )
    return notifications(stack, alertname, "firing", severity)[0]


def test_normal_traffic_keeps_the_alerts_quiet(stack, watcher):
    process = traffic(stack, "normal:25", 10)
    seen = set()
    while process.poll() is None:
        seen |= {(t.key.alertname, t.new) for t in watcher.poll()}
        time.sleep(0.5)
    finish(process, early=False)
    assert not seen, f"alerts moved on normal traffic: {seen}"


def test_high_error_rate_fires_reaches_the_receiver_inhibits_its_warning_and_resolves(
    stack, watcher
):
    process = traffic(stack, "errors:40", 20, "--error-rate", "70")
    try:
        alert = fires_and_notifies(stack, watcher, "HighErrorRate", "critical", 30)
        # The 20% warning fires as well, and Alertmanager holds it under the critical:
        # nobody hears of it while the critical fires.
        wait_state(watcher, "alertmanager", "HighErrorRate", "warning", "suppressed", 30)
        assert watcher.state("prometheus", "HighErrorRate", "warning") == "firing"
        time.sleep(2)  # longer than the warning route's group_wait in this profile (1.5 s)
        watcher.poll()
        assert watcher.state("alertmanager", "HighErrorRate", "warning") == "suppressed"
        assert not notifications(stack, "HighErrorRate", "firing", "warning")
    finally:
        finish(process)

    assert alert["labels"] | {"job": "sentimon", "service": "sentimon"} == alert["labels"]
    assert alert["annotations"]["summary"] == "Most requests to sentimon fail with 5xx."
    assert "% of requests to sentimon were answered 5xx" in alert["annotations"]["description"]
    assert "above 50%" in alert["annotations"]["description"]
    assert alert["annotations"]["runbook_url"].endswith("docs/runbooks.md#higherrorrate")

    process = traffic(stack, "normal:40", 10)
    try:
        wait_until(
            lambda: notifications(stack, "HighErrorRate", "resolved", "critical"),
            40,
            "the resolved critical HighErrorRate at the receiver",
        )
    finally:
        finish(process)


def test_low_confidence_traffic_fires_low_model_confidence(stack, watcher):
    process = traffic(stack, "low-confidence:40", 10)
    try:
        alert = fires_and_notifies(stack, watcher, "LowModelConfidence", "warning", 35)
    finally:
        finish(process)
    assert alert["labels"]["model"] == "sentimon-bilstm"
    assert "below 0.60" in alert["annotations"]["description"]
    assert alert["annotations"]["runbook_url"].endswith("#lowmodelconfidence")


def test_slow_traffic_fires_high_request_latency(stack, watcher):
    process = traffic(stack, "slow:45", 5, "--concurrency", "64")
    try:
        alert = fires_and_notifies(stack, watcher, "HighRequestLatency", "warning", 40)
    finally:
        finish(process)
    assert "above 1s" in alert["annotations"]["description"]

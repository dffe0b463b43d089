"""The drill's plan: which steps run, in which order, with what traffic."""

from __future__ import annotations

import httpx
import pytest

from sentimon.demo.drill import FEEDBACK_PERCENT, drill_steps, parse_parts
from sentimon.demo.watch import AlertWatcher


def test_parts_take_aliases_keep_drill_order_and_name_what_is_unknown():
    assert parse_parts(None) == ("drift", "accuracy", "service")
    assert parse_parts(["service", "model"]) == ("drift", "accuracy", "service")
    assert parse_parts(["accuracy"]) == ("accuracy",)
    with pytest.raises(ValueError, match="weather: choose from drift, accuracy, service, model"):
        parse_parts(["weather"])


def test_the_model_part_starts_from_its_own_reference_and_sends_feedback():
    steps = drill_steps(4, 60, ("drift", "accuracy", "service"))
    titles = [s.title for s in steps]
    assert titles[:2] == ["baseline", "calm"] and steps[0].rebaseline
    assert [s.scenario for s in steps[2:6]] == ["drift", "normal", "world-change", "normal"]
    assert titles[6:] == ["errors", "recovery", "low confidence", "recovery"]
    assert all(s.slow for s in steps[2:6]) and not any(s.slow for s in steps[6:])
    world = steps[4]
    assert world.feedback == FEEDBACK_PERCENT and "ModelAccuracyLow" in world.goal
    assert steps[2].feedback == 0  # drift texts have no true label
    assert steps[0].minimum == 60 and steps[1].minimum == 4


def test_the_service_part_alone_starts_calm_without_a_reference():
    steps = drill_steps(4, 60, ("service",))
    assert [s.title for s in steps][:2] == ["calm", "errors"]
    assert not any(s.rebaseline or s.feedback for s in steps)


def test_accuracy_alone_skips_the_drift_steps():
    scenarios = [s.scenario for s in drill_steps(4, 60, ("accuracy",))]
    assert scenarios == ["normal", "normal", "world-change", "normal"]


def _watcher(notifications: list[dict], rules: list[dict] | None = None) -> AlertWatcher:
    """A watcher whose Prometheus has these alerts and whose receiver got these."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "receiver":
            return httpx.Response(200, json=notifications)
        if request.url.host == "prometheus":
            return httpx.Response(200, json={"data": {"alerts": rules or []}})
        return httpx.Response(200, json=[])

    client = httpx.Client(transport=httpx.MockTransport(answer))
    names = frozenset({"ModelDrift"})
    return AlertWatcher("http://prometheus", "http://am", names, "http://receiver", client=client)


def _alert(signal: str, status: str) -> dict:
    return {
        "status": status,
        "labels": {"alertname": "ModelDrift", "severity": "warning", "signal": signal},
    }


def test_a_group_at_the_receiver_fires_while_any_of_its_alerts_does():
    still_firing = [
        {"alerts": [_alert("input_tokens", "firing"), _alert("confidence", "resolved")]}
    ]
    watcher = _watcher(still_firing)
    watcher.poll()
    assert watcher.state("receiver", "ModelDrift", "warning") == "firing"
    still_firing.append({"alerts": [_alert("input_tokens", "resolved")]})
    watcher.poll()
    assert watcher.state("receiver", "ModelDrift", "warning") == "resolved"


def test_an_alert_with_several_series_is_as_far_along_as_its_furthest():
    rules = [
        {"labels": {"alertname": "ModelDrift", "severity": "warning"}, "state": "firing"},
        {"labels": {"alertname": "ModelDrift", "severity": "warning"}, "state": "pending"},
    ]
    watcher = _watcher([], rules)
    watcher.poll()
    assert watcher.state("prometheus", "ModelDrift", "warning") == "firing"
    rules.reverse()
    assert watcher.poll() == []  # the order of the series changes nothing
    rules.remove(rules[1])  # the firing series resolves
    assert watcher.poll()[0].new == "pending"

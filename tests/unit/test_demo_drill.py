"""The drill's plan: which steps run, in which order, with what traffic."""

from __future__ import annotations

import httpx
import pytest

from sentimon.demo.drill import FEEDBACK_PERCENT, drill_steps, expected_duration, parse_parts
from sentimon.demo.watch import AlertWatcher


def test_parts_take_aliases_keep_drill_order_and_name_what_is_unknown():
    assert parse_parts(None) == ("drift", "accuracy", "service")
    assert parse_parts(["service", "model"]) == ("drift", "accuracy", "service")
    assert parse_parts(["accuracy"]) == ("accuracy",)
    with pytest.raises(ValueError, match="weather: choose from drift, accuracy, service, model"):
        parse_parts(["weather"])


def test_the_model_part_starts_calm_against_the_shipped_reference_and_sends_feedback():
    steps = drill_steps(90, ("drift", "accuracy", "service"))
    titles = [s.title for s in steps]
    calm = steps[0]
    assert titles[0] == "calm" and calm.scenario == "normal" and calm.minimum == 90
    assert calm.feedback == FEEDBACK_PERCENT and "no alert active" in calm.goal
    assert [s.scenario for s in steps[1:5]] == ["drift", "normal", "world-change", "normal"]
    assert titles[5:] == ["errors", "recovery", "low confidence", "recovery"]
    assert all(s.slow for s in steps[1:5]) and not any(s.slow for s in steps[5:])
    world = steps[3]
    assert world.feedback == FEEDBACK_PERCENT and "ModelAccuracyLow" in world.goal
    assert steps[1].feedback == 0  # drift texts have no true label


def test_the_calm_step_waits_its_time_and_for_every_alert_to_be_inactive():
    calm = drill_steps(90, ("drift",))[0]
    quiet = _watcher([])
    quiet.poll()
    assert not calm.done(quiet, 89) and calm.done(quiet, 90)
    pending = _watcher([], [{"labels": {"alertname": "ModelDrift"}, "state": "pending"}])
    pending.poll()
    assert not calm.done(pending, 120)


def test_the_service_part_alone_starts_calm_without_feedback():
    steps = drill_steps(4, ("service",))
    assert [s.title for s in steps][:2] == ["calm", "errors"] and steps[0].minimum == 4
    assert not any(s.feedback for s in steps)


def test_accuracy_alone_skips_the_drift_steps():
    scenarios = [s.scenario for s in drill_steps(4, ("accuracy",))]
    assert scenarios == ["normal", "world-change", "normal"]


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


def test_the_full_walk_is_said_to_take_hours_and_the_fast_one_minutes():
    every = parse_parts(None)
    assert expected_duration(every).endswith("hours")
    assert expected_duration(every, 20).endswith("minutes")
    assert expected_duration(("service",)) == "about 15 to 20 minutes"


def test_demo_says_how_long_it_takes_before_it_starts_anything(monkeypatch):
    from typer.testing import CliRunner

    from sentimon.cli import app
    from sentimon.demo import command

    def no_stack(settings, console):
        raise SystemExit(3)  # stop where the stack would start

    monkeypatch.setattr(command, "_ensure_stack", no_stack)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 3
    assert "This walk takes about 3 to 4.5 hours at production timings" in result.output
    assert "sentimon demo --fast" in result.output
    fast = CliRunner().invoke(app, ["demo", "--fast", "--only", "service"])
    assert "This walk takes about 1 minute " in fast.output
    assert "hours" not in fast.output

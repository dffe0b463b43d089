"""`--scenario` chains and what each scenario puts in its requests."""

from __future__ import annotations

import random
import statistics

import pytest
from typer.testing import CliRunner

from sentimon.cli import app
from sentimon.traffic.corpus import low_confidence_texts, normal_texts
from sentimon.traffic.scenarios import (
    SCENARIOS,
    SPIKE_FACTOR,
    ChainError,
    Phase,
    build_scenario,
    parse_chain,
)


@pytest.mark.parametrize(
    ("spec", "phases"),
    [
        ("normal", [Phase("normal", 30)]),
        (
            "normal:60,errors:120,normal:60",
            [Phase("normal", 60), Phase("errors", 120), Phase("normal", 60)],
        ),
        (
            "errors:1.5, low-confidence ,spike:10s",
            [Phase("errors", 1.5), Phase("low-confidence", 30), Phase("spike", 10)],
        ),
    ],
)
def test_chains_parse_and_phases_without_seconds_take_the_duration(spec, phases):
    assert parse_chain(spec, default_seconds=30) == phases


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("", "no scenario given"),
        ("normal,,errors", "remove the extra comma"),
        ("normal,chaos", "unknown scenario 'chaos'; choose from normal, errors,"),
        ("errors:soon", "'errors:soon': seconds must be a positive number"),
        ("errors:0", "seconds must be a positive number, as in errors:60"),
        ("errors:-5", "seconds must be a positive number"),
        ("errors:", "seconds must be a positive number"),
        ("errors:inf", "seconds must be a positive number"),
    ],
)
def test_bad_chains_say_what_is_wrong(spec, words):
    with pytest.raises(ChainError, match=words.replace("(", r"\(")):
        parse_chain(spec, default_seconds=30)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("normal:60,chaos:10", "unknown scenario 'chaos'"),
        ("normal:abc", "seconds must be a positive number"),
    ],
)
def test_a_bad_chain_is_a_usage_error_before_any_request(spec, words):
    result = CliRunner().invoke(app, ["traffic", "--scenario", spec, "--url", "http://127.0.0.1:9"])
    output = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2
    assert "Invalid value for '--scenario'" in output
    assert words in output
    assert "Traceback" not in output


def test_every_scenario_builds_and_draws_text():
    rng = random.Random(0)
    for name in SCENARIOS:
        request = build_scenario(name).draw(rng)
        assert request.text.strip()


def test_errors_asks_for_the_given_share_of_faults():
    scenario = build_scenario("errors", error_rate=70)
    rng = random.Random(1)
    faults = [scenario.draw(rng).fault for _ in range(5000)]
    assert set(faults) == {"error", None}
    assert faults.count("error") / len(faults) == pytest.approx(0.70, abs=0.02)
    assert {build_scenario("errors", error_rate=0).draw(rng).fault for _ in range(200)} == {None}


def test_slow_asks_every_request_to_be_slow_and_others_ask_nothing():
    rng = random.Random(2)
    assert {build_scenario("slow").draw(rng).fault for _ in range(100)} == {"slow"}
    for name in ("normal", "low-confidence", "drift", "spike"):
        assert {build_scenario(name).draw(rng).fault for _ in range(100)} == {None}


def test_spike_multiplies_the_rate_and_sends_normal_texts():
    spike = build_scenario("spike")
    assert spike.rate_factor == SPIKE_FACTOR == 10
    assert build_scenario("normal").rate_factor == 1
    rng = random.Random(3)
    assert {spike.draw(rng).text for _ in range(200)} <= set(normal_texts())


def test_normal_draws_a_varied_mix_not_a_handful_of_sentences():
    rng = random.Random(4)
    drawn = [build_scenario("normal").draw(rng).text for _ in range(1000)]
    assert len(set(drawn)) > 200


def test_low_confidence_draws_from_its_own_pool():
    rng = random.Random(5)
    drawn = {build_scenario("low-confidence").draw(rng).text for _ in range(300)}
    assert drawn <= set(low_confidence_texts())
    assert not drawn & set(normal_texts())


def test_drift_texts_are_long_joins_of_several_sentences():
    rng = random.Random(6)
    drift = [build_scenario("drift").draw(rng).text for _ in range(300)]
    normal = [build_scenario("normal").draw(rng).text for _ in range(300)]
    assert statistics.mean(map(len, drift)) > 5 * statistics.mean(map(len, normal))
    assert len(set(drift)) == len(drift)

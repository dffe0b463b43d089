"""`--scenario` chains and what each scenario puts in its requests."""

from __future__ import annotations

import random
import statistics

import pytest
from typer.testing import CliRunner

from sentimon.cli import app
from sentimon.traffic.corpus import (
    SENTIMENTS,
    labelled_normal_texts,
    load_texts,
    low_confidence_texts,
    normal_texts,
    world_change_texts,
)
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
    for name in ("normal", "low-confidence", "drift", "spike", "world-change"):
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


LABELLED = ("normal", "errors", "slow", "spike", "world-change")


def test_feedback_is_asked_for_the_given_share_of_labelled_requests():
    rng = random.Random(7)
    for name in LABELLED:
        scenario = build_scenario(name, feedback=30)
        asked = [scenario.draw(rng).feedback for _ in range(5000)]
        assert asked.count(True) / len(asked) == pytest.approx(0.30, abs=0.02), name
    for name in LABELLED:
        assert not any(build_scenario(name).draw(rng).feedback for _ in range(300)), name
        assert all(build_scenario(name, feedback=100).draw(rng).feedback for _ in range(300)), name


def test_normal_requests_carry_the_label_of_the_file_or_line_their_text_comes_from():
    label_of = {item.text: item.label for item in labelled_normal_texts()}
    assert {label_of[text] for s in SENTIMENTS for text in load_texts(s)} == set(SENTIMENTS)
    rng = random.Random(8)
    for name in ("normal", "errors", "slow", "spike"):
        for _ in range(300):
            request = build_scenario(name, feedback=50).draw(rng)
            assert request.true_label == label_of[request.text], name


def test_texts_without_a_true_label_never_ask_for_feedback():
    rng = random.Random(9)
    for name in ("low-confidence", "drift"):
        requests = [build_scenario(name, feedback=100).draw(rng) for _ in range(300)]
        assert {(r.true_label, r.feedback) for r in requests} == {(None, False)}, name


def test_world_change_sends_its_own_texts_with_their_labels():
    pool = {(item.text, item.label) for item in world_change_texts()}
    rng = random.Random(10)
    drawn = [build_scenario("world-change", feedback=100).draw(rng) for _ in range(500)]
    assert {(r.text, r.true_label) for r in drawn} <= pool
    assert len({r.text for r in drawn}) > 90
    assert {r.true_label for r in drawn} == set(SENTIMENTS)


def test_a_seed_picks_the_same_texts_with_and_without_feedback():
    def texts(feedback: float) -> list[tuple[str, str | None]]:
        rng = random.Random(11)
        scenario = build_scenario("errors", feedback=feedback)
        return [(r.text, r.fault) for r in (scenario.draw(rng) for _ in range(200))]

    assert texts(0) == texts(60) == texts(100)


@pytest.mark.parametrize("feedback", [-1, 100.5])
def test_feedback_outside_0_to_100_is_refused(feedback):
    with pytest.raises(ValueError, match="feedback must be a percent from 0 to 100"):
        build_scenario("normal", feedback=feedback)
    result = CliRunner().invoke(
        app, ["traffic", "--feedback", str(feedback), "--url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 2
    assert "--feedback" in result.output


def test_help_lists_world_change_with_what_it_does():
    output = " ".join(CliRunner().invoke(app, ["traffic", "--help"]).output.split())
    assert "world-change (sarcasm and new slang the model misreads" in output
    assert "--feedback" in output

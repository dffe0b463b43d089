"""The `--endpoints` mix and the `--bad-input` share: parsing, and what each draws."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from typer.testing import CliRunner

from sentimon.cli import app
from sentimon.settings import Settings
from sentimon.traffic.bad_input import bad_inputs
from sentimon.traffic.endpoints import (
    BATCH,
    BATCH_TEXTS,
    DEFAULT_MIX,
    EXPLAIN,
    PREDICT,
    PREDICT_ONLY,
    MixError,
    parse_mix,
)
from sentimon.traffic.scenarios import MIXED_SCENARIOS, SCENARIOS, build_scenario


def test_a_mix_parses_to_shares_and_leaves_out_routes_not_named():
    mix = parse_mix(" predict=6, explain = 2 ,batch=2")
    assert mix.shares() == {PREDICT: 0.6, BATCH: 0.2, EXPLAIN: 0.2}
    assert parse_mix("batch=1,explain=0").shares() == {BATCH: 1.0}
    assert DEFAULT_MIX.shares() == {PREDICT: 0.8, BATCH: 0.1, EXPLAIN: 0.1}
    assert parse_mix(DEFAULT_MIX.spec()) == DEFAULT_MIX


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("", "expected name=weight with name one of predict, batch, explain"),
        ("predict=80,", "expected name=weight"),
        ("classify=10", "'classify=10': expected name=weight"),
        ("predict", "'predict': the weight must be a number from 0 up, as in predict=10"),
        ("predict=lots", "the weight must be a number"),
        ("predict=-1", "the weight must be a number"),
        ("predict=inf", "the weight must be a number"),
        ("predict=1,predict=2", "'predict' is given twice"),
        ("predict=0,batch=0", "gives every route a weight of 0"),
    ],
)
def test_bad_mixes_say_what_is_wrong(spec, words):
    with pytest.raises(MixError, match=words):
        parse_mix(spec)


def test_a_bad_mix_is_a_usage_error_before_any_request():
    result = CliRunner().invoke(
        app, ["traffic", "--endpoints", "predict=80,chat=20", "--url", "http://127.0.0.1:9"]
    )
    output = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2
    assert "Invalid value for '--endpoints'" in output and "'chat=20'" in output


@pytest.mark.parametrize("share", ["-1", "100.5"])
def test_bad_input_outside_0_to_100_is_a_usage_error(share):
    result = CliRunner().invoke(
        app, ["traffic", "--bad-input", share, "--url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 2 and "--bad-input" in result.output
    with pytest.raises(ValueError, match="bad_input must be a percent from 0 to 100"):
        build_scenario("normal", bad_input=float(share))


def test_normal_and_spike_follow_the_mix_and_a_batch_holds_a_few_labelled_texts():
    rng = random.Random(1)
    for name in MIXED_SCENARIOS:
        requests = [build_scenario(name, feedback=100).draw(rng) for _ in range(3000)]
        paths = Counter(r.path for r in requests)
        assert paths[PREDICT] / 3000 == pytest.approx(0.8, abs=0.03), name
        assert paths[BATCH] / 3000 == pytest.approx(0.1, abs=0.02), name
        assert paths[EXPLAIN] / 3000 == pytest.approx(0.1, abs=0.02), name
        batches = [r for r in requests if r.path == BATCH]
        assert {len(r.batch) for r in batches} == set(range(BATCH_TEXTS[0], BATCH_TEXTS[1] + 1))
        assert all(label for r in batches for _, label in r.labelled())
        # Feedback on every text of a batch, one on a single prediction or explanation.
        assert all(r.feedback_wanted == len(r.batch) for r in batches)
        assert {r.feedback_wanted for r in requests if r.path != BATCH} == {1}


def test_the_other_scenarios_stay_on_predict_whatever_the_mix():
    rng = random.Random(2)
    mix = parse_mix("batch=1")
    for name in set(SCENARIOS) - MIXED_SCENARIOS:
        scenario = build_scenario(name, endpoints=mix)
        assert {scenario.draw(rng).path for _ in range(200)} == {PREDICT}, name
    assert {
        build_scenario("normal", endpoints=PREDICT_ONLY).draw(rng).path for _ in range(200)
    } == {PREDICT}


def test_bad_input_replaces_its_share_with_every_kind_in_every_scenario():
    rng = random.Random(3)
    for name in SCENARIOS:
        requests = [build_scenario(name, bad_input=30).draw(rng) for _ in range(3000)]
        bad = [r for r in requests if r.bad]
        assert len(bad) / 3000 == pytest.approx(0.30, abs=0.03), name
        assert set(Counter(r.bad for r in bad)) == set(bad_inputs()), name
        assert all(r.path == bad_inputs()[r.bad].path for r in bad)
        # A bad request asks for no fault and no feedback: it only has to be refused.
        assert {(r.fault, r.feedback_wanted) for r in bad} == {(None, 0)}, name
    assert not any(build_scenario("normal").draw(rng).bad for _ in range(500))
    assert all(build_scenario("errors", bad_input=100).draw(rng).bad for _ in range(200))


def test_a_seed_draws_the_same_requests_and_no_bad_input_draws_as_before():
    def drawn(**options) -> list:
        rng = random.Random(11)
        scenario = build_scenario("normal", **options)
        return [scenario.draw(rng) for _ in range(300)]

    assert drawn(bad_input=30) == drawn(bad_input=30)
    assert drawn(bad_input=0) == drawn()


def test_each_bad_kind_is_what_its_name_says():
    kinds = bad_inputs()
    limits = Settings.model_fields
    too_long = json.loads(kinds["too-long"].body)["text"]
    assert len(too_long) > limits["max_text_chars"].default
    batch = json.loads(kinds["batch-too-large"].body)["texts"]
    assert len(batch) == limits["max_batch"].default + 1
    assert not json.loads(kinds["empty-text"].body)["text"].strip()
    assert "text" not in json.loads(kinds["missing-field"].body)
    with pytest.raises(ValueError):
        json.loads(kinds["malformed-json"].body)
    assert kinds["wrong-content-type"].content_type == "text/plain"
    assert {k.name: k.expected for k in kinds.values()} == {
        "empty-text": 422,
        "too-long": 422,
        "missing-field": 422,
        "malformed-json": 400,
        "wrong-content-type": 415,
        "batch-too-large": 422,
    }

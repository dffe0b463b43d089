"""The everyday sets: how they are made up, that their tags are true, and that they stay apart."""

from __future__ import annotations

import re

import pytest

from sentimon.model.training import everyday
from sentimon.model.training.dataset import text_key

DOMAINS = {"shopping", "travel", "food", "work", "health", "software", "public-services"}
CUES = {
    "negation": re.compile(
        r"\b(not|never|no|nobody|nothing|none|neither|nor|without|cannot)\b|n't\b", re.I
    ),
    "contrast": re.compile(r"\b(but|however|although|though|yet|despite|even though)\b", re.I),
}


@pytest.fixture(scope="module")
def evaluation():
    return everyday.load(everyday.EVAL_FILE)


def test_the_evaluation_set_is_large_varied_and_a_third_neutral(evaluation):
    shape = everyday.describe(evaluation)
    assert shape["n"] >= 300
    assert shape["labels"]["neutral"] >= shape["n"] / 3
    assert min(shape["labels"].values()) >= 100
    assert set(shape["domains"]) == DOMAINS
    assert min(shape["domains"].values()) >= 40
    assert shape["turns"] >= shape["n"] / 5
    for label in everyday.LABELS:  # negation, contrast and surprise reach every label
        assert sum(s.turns for s in evaluation if s.label == label) >= 20


@pytest.mark.parametrize("name", [everyday.EVAL_FILE, everyday.DEV_FILE])
def test_each_set_states_its_labelling_rule_and_holds_each_text_once(name):
    header = everyday.header(name)
    for part in ("positive -", "negative -", "neutral -", "Contrast -", "Surprise -"):
        assert part in header
    keys = [text_key(s.text) for s in everyday.load(name)]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", [everyday.EVAL_FILE, everyday.DEV_FILE])
def test_negation_and_contrast_tags_are_true(name):
    for sentence in everyday.load(name):
        for tag, cue in CUES.items():
            assert (tag in sentence.tags) == bool(cue.search(sentence.text)), sentence.text


@pytest.mark.parametrize("name", [everyday.DEV_FILE, everyday.TRAIN_FILE])
def test_no_development_text_is_an_evaluation_text_nor_a_paraphrase_of_one(evaluation, name):
    texts = [s.text for s in everyday.load(name)]
    held = [s.text for s in evaluation]
    assert not {text_key(t) for t in held} & {text_key(t) for t in texts}
    assert not everyday.near(texts, held)


def test_a_malformed_line_is_named():
    with pytest.raises(ValueError, match="line 2"):
        everyday.parse("# header\npositive\tfood\tpraise\tGood soup.\n", "x.tsv")

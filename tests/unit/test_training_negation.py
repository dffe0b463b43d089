"""Negation and contrast templates, labelled by VADER's rules, with sentiment words held out."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from sentimon.model.training import negation
from sentimon.model.training.negation import (
    KIND_SHARES,
    N_SCALAR,
    NEGATIVE_ADJECTIVES,
    NEUTRAL_ACTIONS,
    NEUTRAL_PREDICATES,
    OWN_VALENCE,
    POSITIVE_ADJECTIVES,
    SENTIMENT_VERBS,
    build_examples,
    lexicon_valence,
    word_split,
)

POSITIVE_VERBS = {"like", "love", "enjoy", "recommend", "appreciate", "adore", "trust", "admire"}
LEXICON = {
    **{w: 2.0 for w in POSITIVE_ADJECTIVES},
    **{w: -2.0 for w in NEGATIVE_ADJECTIVES if w not in OWN_VALENCE},
    **{v: 2.0 if v in POSITIVE_VERBS else -2.0 for v in SENTIMENT_VERBS},
}
VALENCE = lexicon_valence(LEXICON)  # LEXICON plus OWN_VALENCE
SENTIMENT_WORDS = (*POSITIVE_ADJECTIVES, *NEGATIVE_ADJECTIVES, *SENTIMENT_VERBS)
THRESHOLD = 0.5
N = 3000
SEED = 7


@pytest.fixture(scope="module")
def examples():
    return build_examples(LEXICON, n=N, threshold=THRESHOLD, seed=SEED)


def _has_word(word: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE) is not None


def _label(valence: float) -> str:
    return "negative" if valence < -THRESHOLD else "positive" if valence > THRESHOLD else "neutral"


def test_the_same_seed_builds_the_same_examples(examples):
    assert build_examples(LEXICON, n=N, threshold=THRESHOLD, seed=SEED) == examples


def test_another_seed_builds_other_examples(examples):
    other = build_examples(LEXICON, n=N, threshold=THRESHOLD, seed=SEED + 1)
    assert [e.text for e in other] != [e.text for e in examples]


def test_texts_are_unique_ignoring_case(examples):
    lowered = [e.text.lower() for e in examples]
    assert len(set(lowered)) == len(lowered)


def test_about_n_examples_are_built(examples):
    assert 0.95 * N <= len(examples) <= 1.05 * N


def test_every_kind_is_present_in_about_its_share(examples):
    counts = Counter(e.kind for e in examples)
    assert set(counts) == set(KIND_SHARES)
    for kind, share in KIND_SHARES.items():
        assert counts[kind] == pytest.approx(share * N, rel=0.1), kind


def test_labels_and_splits_are_known_values(examples):
    assert {e.label for e in examples} == {"negative", "neutral", "positive"}
    assert {e.split for e in examples} == {"train", "validation", "test"}


def test_a_missing_valence_is_an_error_naming_the_word():
    lexicon = {w: v for w, v in LEXICON.items() if w != "good"}
    with pytest.raises(ValueError, match=r"no valence for \['good'\]"):
        lexicon_valence(lexicon)
    with pytest.raises(ValueError, match="good"):
        build_examples(lexicon, n=10, threshold=THRESHOLD, seed=1)


def test_own_valence_fills_words_the_lexicon_lacks():
    valence = lexicon_valence(LEXICON)
    assert set(valence) == set(SENTIMENT_WORDS)
    assert valence["mediocre"] == OWN_VALENCE["mediocre"]
    assert valence["good"] == 2.0 and valence["hate"] == -2.0


def test_the_lexicon_wins_over_own_valence():
    assert lexicon_valence({**LEXICON, "mediocre": -0.3})["mediocre"] == -0.3


def test_not_good_is_negative(examples):
    found = [
        e
        for e in examples
        if e.kind == "negated-adjective" and re.search(r"(\bnot|isn't) good\b", e.text)
    ]
    assert found, "no 'not good' among the examples: pick another case"
    assert {e.label for e in found} == {"negative"}


def test_not_bad_is_positive(examples):
    found = [
        e
        for e in examples
        if e.kind == "negated-adjective" and re.search(r"(\bnot|n't) (\w+ )?bad\b", e.text)
    ]
    assert found, "no 'not bad' among the examples: pick another case"
    assert {e.label for e in found} == {"positive"}


def test_negated_verbs_flip_the_verbs_valence(examples):
    assert {e.label for e in examples if re.search(r"\b(don't|do not) like\b", e.text)} == {
        "negative"
    }
    assert {e.label for e in examples if re.search(r"\b(don't|do not) hate\b", e.text)} <= {
        "positive"
    }
    assert {e.label for e in examples if re.fullmatch(r"I (really )?hate \w+.*\.", e.text)} == {
        "negative"
    }


def test_every_negated_adjective_is_labelled_by_n_scalar(examples):
    adjectives = (*POSITIVE_ADJECTIVES, *NEGATIVE_ADJECTIVES)
    negated = [e for e in examples if e.kind == "negated-adjective"]
    for e in negated:
        [word] = [w for w in adjectives if _has_word(w, e.text)]
        assert re.search(r"\b(not|never|nothing)\b|n't\b", e.text, re.IGNORECASE), e.text
        assert e.label == _label(N_SCALAR * VALENCE[word]), e.text


@pytest.mark.parametrize("kind", ["neutral-negation", "neutral-plain"])
def test_neutral_examples_are_neutral(examples, kind):
    assert {e.label for e in examples if e.kind == kind} == {"neutral"}


def test_neutral_negations_hold_a_negation(examples):
    negated = re.compile(r"\b(not|never)\b|n't\b")
    assert all(negated.search(e.text) for e in examples if e.kind == "neutral-negation")


def test_neutral_examples_hold_no_sentiment_word(examples):
    for e in examples:
        if e.kind.startswith("neutral"):
            assert not [w for w in SENTIMENT_WORDS if _has_word(w, e.text)], e.text


def test_contrast_takes_the_label_of_the_clause_after_but(examples):
    checked = 0
    for e in examples:
        if e.kind != "contrast" or ", but " not in e.text or e.text.startswith("Sure, "):
            continue
        after = e.text.split(", but ", 1)[1].removesuffix(".")
        word = after.split()[-1]
        negated = re.search(r"\bnot\b|n't\b|\bnever\b", after) is not None
        assert e.label == _label((N_SCALAR if negated else 1.0) * VALENCE[word]), e.text
        checked += 1
    assert checked > 10


def test_contrast_clauses_mostly_disagree(examples):
    contrasts = [e for e in examples if e.kind == "contrast"]
    assert {e.label for e in contrasts} == {"negative", "positive"}


def test_word_split_is_stable_and_about_one_in_eight_test():
    assert word_split("good") == word_split("good")
    splits = Counter(word_split(f"word{i}") for i in range(4000))
    assert splits["test"] / 4000 == pytest.approx(1 / 8, abs=0.02)
    assert splits["validation"] / 4000 == pytest.approx(1 / 8, abs=0.02)


def test_some_sentiment_words_are_held_out_for_test():
    assert any(word_split(w) == "test" for w in SENTIMENT_WORDS)


def test_no_test_word_appears_in_a_training_example(examples):
    test_words = [w for w in SENTIMENT_WORDS if word_split(w) == "test"]
    for e in examples:
        if e.split == "train":
            assert not [w for w in test_words if _has_word(w, e.text)], e.text


def test_no_validation_word_appears_in_a_training_example(examples):
    validation_words = [w for w in SENTIMENT_WORDS if word_split(w) == "validation"]
    for e in examples:
        if e.split == "train":
            assert not [w for w in validation_words if _has_word(w, e.text)], e.text


def test_every_test_example_holds_a_test_word(examples):
    test_words = [w for w in SENTIMENT_WORDS if word_split(w) == "test"]
    held_out = [e for e in examples if e.split == "test" and e.label != "neutral"]
    assert held_out
    for e in held_out:
        assert any(_has_word(w, e.text) for w in test_words), e.text


def test_neutral_counter_examples_reach_every_split_by_their_predicate(examples):
    neutral = [e for e in examples if e.kind.startswith("neutral")]
    assert {e.split for e in neutral} == {"train", "validation", "test"}
    for e in neutral:
        held = [p for p in (*NEUTRAL_PREDICATES, *NEUTRAL_ACTIONS) if p in e.text]
        assert held and e.split in {word_split(p) for p in held}, e.text


def test_the_threshold_decides_the_neutral_band():
    wide = build_examples(LEXICON, n=300, threshold=2.0, seed=3)
    # Every valence is +-2.0 (or +-1.48 negated, or mediocre's): none is beyond 2.0.
    assert {e.label for e in wide} == {"neutral"}


def test_negation_module_constants_are_consistent():
    assert sum(KIND_SHARES.values()) == pytest.approx(1.0)
    assert N_SCALAR == -0.74
    assert not set(POSITIVE_ADJECTIVES) & set(NEGATIVE_ADJECTIVES)
    assert set(OWN_VALENCE) <= set(SENTIMENT_WORDS)
    assert negation.DEFAULT_NEGATION_EXAMPLES > 0

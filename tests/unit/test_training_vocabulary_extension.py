"""The vocabulary extension: GloVe's words the training data lacked, mapped into the
trained embedding after training, with the network otherwise unchanged."""

from __future__ import annotations

import numpy as np
import torch

from sentimon.model.tokenizer import PAD_ID, UNK_ID, Vocabulary, pad_batch
from sentimon.model.training.embeddings import WordVectors
from sentimon.model.training.network import BiLSTMClassifier
from sentimon.model.training.vocabulary_extension import extend

DIM = 4
# GloVe's order is frequency order; the extension takes a prefix of it.
KNOWN = ["the", "good", "bad", "film", *(f"w{a}{b}" for a in "abcdef" for b in "abcdef")]
WORDS = [
    *KNOWN, "kinder", ",", "2019", "don't", "undercooked", "apologise", "<unk>", "rare",
]  # fmt: skip
RNG = np.random.default_rng(7)
VECTORS = WordVectors(
    words=WORDS,
    # On GloVe's scale of spread, so the ridge term barely moves an exact fit.
    vectors=(3 * RNG.normal(size=(len(WORDS), DIM))).astype(np.float32),
    description={"name": "fake"},
)
# The training vocabulary: forty GloVe words and one GloVe lacks ("zzz").
VOCABULARY = Vocabulary(["<pad>", "<unk>", *KNOWN, "zzz"], max_tokens=16)
# A trained embedding that is exactly a linear map of GloVe (plus a bias), so the fit is exact.
MAP = RNG.normal(size=(DIM, DIM))
BIAS = RNG.normal(size=DIM)


def _model() -> BiLSTMClassifier:
    torch.manual_seed(0)
    model = BiLSTMClassifier(len(VOCABULARY), 3, embedding_dim=DIM, hidden_size=5)
    with torch.no_grad():
        for row, token in enumerate(VOCABULARY.tokens):
            if token in WORDS:
                glove = VECTORS.vectors[WORDS.index(token)].astype(np.float64)
                model.embedding.weight[row] = torch.from_numpy(glove @ MAP + BIAS).float()
    model.eval()
    return model


def _probs(model: BiLSTMClassifier, vocabulary: Vocabulary, texts: list[str]) -> np.ndarray:
    ids, lengths = pad_batch([vocabulary.encode(t) for t in texts])
    with torch.no_grad():
        return model(torch.from_numpy(ids), torch.from_numpy(lengths)).numpy()


def test_words_the_vocabulary_lacks_are_added_after_it_in_glove_order():
    extension = extend(_model(), VOCABULARY, VECTORS, glove_words=len(WORDS))
    added = extension.vocabulary.tokens[len(VOCABULARY) :]
    # Punctuation, numbers (read as <num>) and GloVe's own "<unk>" are not word tokens.
    assert added == ["kinder", "don't", "undercooked", "apologise", "rare"]
    assert extension.vocabulary.tokens[: len(VOCABULARY)] == VOCABULARY.tokens
    assert extension.vocabulary.max_tokens == VOCABULARY.max_tokens
    assert extension.report["words_added"] == 5


def test_only_the_most_frequent_glove_words_are_taken():
    # Up to "undercooked": the first five after the known words.
    extension = extend(_model(), VOCABULARY, VECTORS, glove_words=len(KNOWN) + 5)
    assert extension.vocabulary.tokens[len(VOCABULARY) :] == ["kinder", "don't", "undercooked"]


def test_new_rows_sit_where_the_fitted_map_puts_their_glove_vectors():
    model = _model()
    before = model.embedding.weight.detach().clone()
    extension = extend(model, VOCABULARY, VECTORS, glove_words=len(WORDS))
    table = model.embedding.weight.detach().numpy()
    assert table.shape == (len(extension.vocabulary), DIM)
    np.testing.assert_array_equal(table[: len(VOCABULARY)], before.numpy())
    for word in ("kinder", "undercooked", "rare"):
        expected = VECTORS.vectors[WORDS.index(word)].astype(np.float64) @ MAP + BIAS
        row = extension.vocabulary.tokens.index(word)
        np.testing.assert_allclose(table[row], expected, rtol=0.02, atol=0.02)
    assert extension.report["map_r2"] > 0.99


def test_texts_of_known_words_keep_their_probabilities_and_new_words_change_them():
    model = _model()
    texts = ["the good film", "bad film, the", "the film"]
    before = _probs(model, VOCABULARY, texts)
    unknown_before = _probs(model, VOCABULARY, ["the kinder film"])
    extension = extend(model, VOCABULARY, VECTORS, glove_words=len(WORDS))
    np.testing.assert_allclose(_probs(model, extension.vocabulary, texts), before, atol=1e-6)
    assert VOCABULARY.encode("the kinder film").unknown == 1
    assert extension.vocabulary.encode("the kinder film").unknown == 0
    after = _probs(model, extension.vocabulary, ["the kinder film"])
    assert not np.allclose(after, unknown_before, atol=1e-4)


def test_padding_and_unknown_rows_are_kept_out_of_the_fit():
    model = _model()
    with torch.no_grad():  # rows nothing in GloVe explains; a fit that used them would miss
        model.embedding.weight[PAD_ID] = 100.0
        model.embedding.weight[UNK_ID] = -100.0
    extension = extend(model, VOCABULARY, VECTORS, glove_words=len(WORDS))
    assert extension.report["map_r2"] > 0.99


def test_nothing_to_add_leaves_the_embedding_as_it_was():
    model = _model()
    before = model.embedding
    extension = extend(model, VOCABULARY, VECTORS, glove_words=len(KNOWN))
    assert extension.vocabulary.tokens == VOCABULARY.tokens
    assert model.embedding is before
    assert extension.report["words_added"] == 0

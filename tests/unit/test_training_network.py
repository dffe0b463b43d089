"""The BiLSTM and the pieces of the training loop (needs PyTorch, the train extra)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="training tests need PyTorch: pip install -e '.[train]'"
)

from sentimon.model.tokenizer import PAD_ID, UNK_ID  # noqa: E402
from sentimon.model.training.loop import _drop_words, class_weights  # noqa: E402
from sentimon.model.training.network import BiLSTMClassifier  # noqa: E402

pytestmark = pytest.mark.training


@pytest.fixture
def model():
    torch.manual_seed(0)
    return BiLSTMClassifier(30, 3, embedding_dim=8, hidden_size=6, dropout=0.5).eval()


def test_forward_gives_probabilities(model):
    probs = model(torch.tensor([[2, 3, 4], [5, 0, 0]]), torch.tensor([3, 1]))
    assert probs.shape == (2, 3)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(2))
    assert (probs > 0).all()


def test_right_padding_does_not_change_a_row(model):
    alone = model(torch.tensor([[7, 8]]), torch.tensor([2]))
    padded = model(torch.tensor([[7, 8, 0, 0, 0], [1, 2, 3, 4, 5]]), torch.tensor([2, 5]))
    torch.testing.assert_close(padded[:1], alone, atol=1e-6, rtol=0)


def test_padding_embedding_stays_zero_after_a_training_step(model):
    model.train()
    loss = model.logits(torch.tensor([[3, 4, 0]]), torch.tensor([2])).sum()
    loss.backward()
    assert model.embedding.weight.grad[PAD_ID].abs().sum() == 0


def test_balanced_class_weights_are_inverse_frequency():
    labels = np.array([0] * 6 + [1] * 3 + [2] * 1)
    np.testing.assert_allclose(class_weights(labels, 3, "balanced"), [10 / 18, 10 / 9, 10 / 3])
    np.testing.assert_allclose(class_weights(labels, 3, "sqrt") ** 2, [10 / 18, 10 / 9, 10 / 3])
    np.testing.assert_allclose(class_weights(labels, 3, "none"), [1, 1, 1])


def test_word_dropout_only_turns_real_tokens_into_unk():
    ids = torch.tensor([[5, 6, 7, 8, 0, 0]] * 200)
    dropped = _drop_words(ids, 0.5, torch.Generator().manual_seed(0))
    assert (dropped[:, 4:] == PAD_ID).all()
    changed = dropped[:, :4] != ids[:, :4]
    assert (dropped[:, :4][changed] == UNK_ID).all()
    assert 0.4 < changed.float().mean() < 0.6
    assert torch.equal(_drop_words(ids, 0.0, torch.Generator()), ids)

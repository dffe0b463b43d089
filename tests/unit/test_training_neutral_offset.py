"""The neutral offset: one shift of the neutral logit, chosen on validation, baked into
the output layer."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="training tests need PyTorch: pip install -e '.[train]'"
)

from sentimon.model.training import neutral_offset  # noqa: E402
from sentimon.model.training.metrics import macro_f1  # noqa: E402
from sentimon.model.training.network import BiLSTMClassifier  # noqa: E402

NEUTRAL = 1


def _leaning_away_from_neutral(shortfall: float) -> tuple[np.ndarray, np.ndarray]:
    """Validation log-probabilities of a model that would be right on every text if its
    neutral logit were ``shortfall`` higher: the truly neutral texts' neutral logit sits
    between 0.1 and 0.3 under the top wrong one."""
    rng = np.random.default_rng(3)
    labels = np.repeat([0, 1, 2], 200)
    logits = rng.normal(0.0, 0.3, (len(labels), 3))
    logits[np.arange(len(labels)), labels] += 3.0
    neutral_rows = labels == NEUTRAL
    wrong = np.where(logits[neutral_rows, 0] > logits[neutral_rows, 2], 0, 2)
    rows = np.flatnonzero(neutral_rows)
    logits[rows, NEUTRAL] = logits[rows, wrong] - rng.uniform(0.1, shortfall, len(rows))
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return log_probs, labels


def test_the_offset_found_lifts_the_neutral_texts_over_the_line():
    log_probs, labels = _leaning_away_from_neutral(0.3)
    offset = neutral_offset.fit(log_probs, labels, NEUTRAL)
    assert 0.3 <= offset.value <= 1.0
    report = offset.report
    assert report["validation_macro_f1_before"] < 0.7
    assert report["validation_macro_f1_after"] == 1.0
    shifted = log_probs.copy()
    shifted[:, NEUTRAL] += offset.value
    assert macro_f1(labels, shifted.argmax(axis=1), 3) == 1.0


def test_of_equally_good_offsets_the_smallest_is_taken():
    rng = np.random.default_rng(4)
    labels = np.repeat([0, 1, 2], 50)
    logits = rng.normal(0.0, 0.1, (len(labels), 3))
    logits[np.arange(len(labels)), labels] += 5.0  # right by a wide margin, any small shift
    offset = neutral_offset.fit(logits, labels, NEUTRAL)
    assert offset.value == 0.0
    assert offset.report["validation_macro_f1_before"] == offset.report["validation_macro_f1_after"]


def test_apply_moves_only_the_neutral_bias_and_matches_the_shifted_scores():
    torch.manual_seed(0)
    model = BiLSTMClassifier(30, 3, embedding_dim=4, hidden_size=5).eval()
    ids = torch.tensor([[2, 3, 4], [5, 6, 0]])
    lengths = torch.tensor([3, 2])
    before_bias = model.head.bias.detach().clone()
    before = model.logits(ids, lengths).detach()
    neutral_offset.apply(model, NEUTRAL, 0.4)
    after = model.logits(ids, lengths).detach()
    np.testing.assert_allclose(
        (model.head.bias.detach() - before_bias).numpy(), [0.0, 0.4, 0.0], atol=1e-6
    )
    np.testing.assert_allclose((after - before).numpy(), [[0.0, 0.4, 0.0]] * 2, atol=1e-5)

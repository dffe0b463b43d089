"""Mini-batch training with class weights, sample weights, word dropout and early stopping."""

from __future__ import annotations

import copy
import logging
import random
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from sentimon.model.tokenizer import PAD_ID, UNK_ID, Vocabulary
from sentimon.model.training.data import LabelledData
from sentimon.model.training.metrics import macro_f1
from sentimon.model.training.network import POOLINGS, BiLSTMClassifier

logger = logging.getLogger(__name__)

CLASS_WEIGHTINGS = ("balanced", "sqrt", "none")


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of one training run; recorded verbatim in the model card."""

    seed: int = 13
    embedding_dim: int = 50  # GloVe 6B's; any size trains with --embeddings none
    hidden_size: int = 96
    dropout: float = 0.3
    word_dropout: float = 0.1
    batch_size: int = 64
    learning_rate: float = 2e-3
    weight_decay: float = 0.0
    max_epochs: int = 16
    patience: int = 3
    label_smoothing: float = 0.1
    class_weighting: str = "balanced"
    pooling: str = "mean+max"
    lr_decay: float = 0.5  # learning rate factor after an epoch that did not improve; 1 = off
    grad_clip: float = 1.0
    threads: int = 2

    def __post_init__(self) -> None:
        if self.class_weighting not in CLASS_WEIGHTINGS:
            raise ValueError(f"class_weighting must be one of {CLASS_WEIGHTINGS}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}")
        if self.max_epochs < 1 or self.patience < 1:
            raise ValueError("max_epochs and patience must be at least 1")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    model: BiLSTMClassifier
    best_epoch: int
    epochs_run: int
    seconds: float
    history: list[dict] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(labels: np.ndarray, n_classes: int, how: str) -> np.ndarray:
    """Loss weight per class: inverse frequency ("balanced"), its square root, or all 1."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    if how == "none":
        return np.ones(n_classes)
    weights = counts.sum() / (n_classes * np.maximum(counts, 1))
    return np.sqrt(weights) if how == "sqrt" else weights


class _Encoded:
    """A split's texts as token-id arrays, encoded once."""

    def __init__(self, data: LabelledData, vocabulary: Vocabulary) -> None:
        self.ids = [vocabulary.encode(t).ids for t in data.texts]
        self.labels = torch.from_numpy(data.labels)
        self.weights = torch.from_numpy(data.weights)

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = np.fromiter((len(self.ids[r]) for r in rows), dtype=np.int64, count=len(rows))
        ids = np.zeros((len(rows), int(lengths.max())), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : lengths[i]] = self.ids[r]
        return torch.from_numpy(ids), torch.from_numpy(lengths)


def _drop_words(ids: torch.Tensor, rate: float, generator: torch.Generator) -> torch.Tensor:
    """Replace a random share of real tokens with <unk>, so no single word decides alone."""
    if rate <= 0:
        return ids
    drop = (torch.rand(ids.shape, generator=generator) < rate) & (ids != PAD_ID)
    return ids.masked_fill(drop, UNK_ID)


@torch.no_grad()
def predict_probs(
    model: BiLSTMClassifier, texts: list[str], vocabulary: Vocabulary, batch_size: int = 256
) -> np.ndarray:
    """Class probabilities from the PyTorch model, in the order of ``texts``."""
    model.eval()
    encoded = [vocabulary.encode(t).ids for t in texts]
    out = []
    for start in range(0, len(encoded), batch_size):
        chunk = encoded[start : start + batch_size]
        lengths = torch.tensor([len(c) for c in chunk], dtype=torch.int64)
        ids = torch.zeros((len(chunk), int(lengths.max())), dtype=torch.int64)
        for i, c in enumerate(chunk):
            ids[i, : len(c)] = torch.from_numpy(c)
        out.append(model(ids, lengths).numpy())
    return np.concatenate(out)


def train(
    train_data: LabelledData,
    validation_data: LabelledData,
    vocabulary: Vocabulary,
    config: TrainConfig,
    *,
    use_sample_weights: bool = True,
    progress: bool = True,
    initial_embedding: np.ndarray | None = None,
) -> TrainResult:
    """Fit a fresh BiLSTM, its embedding started from ``initial_embedding`` when given;
    stop when validation macro-F1 has not improved for ``patience`` epochs and return the
    weights of the best epoch."""
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    n_classes = len(train_data.label_names)
    model = BiLSTMClassifier(
        len(vocabulary),
        n_classes,
        embedding_dim=config.embedding_dim,
        hidden_size=config.hidden_size,
        dropout=config.dropout,
        pooling=config.pooling,
    )
    if initial_embedding is not None:
        if initial_embedding.shape != tuple(model.embedding.weight.shape):
            raise ValueError(
                f"initial embedding is {initial_embedding.shape}, "
                f"the network's {tuple(model.embedding.weight.shape)}"
            )
        with torch.no_grad():
            model.embedding.weight.copy_(torch.from_numpy(initial_embedding))
    weight = torch.tensor(
        class_weights(train_data.labels, n_classes, config.class_weighting), dtype=torch.float32
    )
    loss_fn = nn.CrossEntropyLoss(
        weight=weight, label_smoothing=config.label_smoothing, reduction="none"
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    encoded = _Encoded(train_data, vocabulary)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)

    best_f1, best_epoch, best_state = -1.0, 0, copy.deepcopy(model.state_dict())
    history: list[dict] = []
    started = time.perf_counter()
    epoch = 0
    for epoch in range(1, config.max_epochs + 1):
        model.train()
        order = rng.permutation(len(encoded))
        batches = [
            order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)
        ]
        total_loss = 0.0
        bar = tqdm(
            batches,
            desc=f"epoch {epoch}/{config.max_epochs}",
            unit="batch",
            disable=not progress,
            leave=False,
            dynamic_ncols=True,
        )
        for rows in bar:
            ids, lengths = encoded.batch(rows)
            labels = encoded.labels[rows]
            sample = encoded.weights[rows] if use_sample_weights else torch.ones(len(rows))
            losses = loss_fn(
                model.logits(_drop_words(ids, config.word_dropout, generator), lengths), labels
            )
            # Normalise like CrossEntropyLoss's own weighted mean, sample weights included.
            norm = (weight[labels] * sample).sum().clamp_min(1e-8)
            loss = (losses * sample).sum() / norm
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            batch_loss = loss.item()
            total_loss += batch_loss * len(rows)
            bar.set_postfix(loss=f"{batch_loss:.3f}", refresh=False)
        bar.close()

        val_probs = predict_probs(model, validation_data.texts, vocabulary)
        val_pred = val_probs.argmax(axis=1)
        val_f1 = macro_f1(validation_data.labels, val_pred, n_classes)
        record = {
            "epoch": epoch,
            "train_loss": total_loss / len(encoded),
            "validation_accuracy": float((val_pred == validation_data.labels).mean()),
            "validation_macro_f1": val_f1,
            "learning_rate": optimizer.param_groups[0]["lr"],
        }
        history.append(record)
        improved = val_f1 > best_f1
        if improved:
            best_f1, best_epoch, best_state = val_f1, epoch, copy.deepcopy(model.state_dict())
        else:
            for group in optimizer.param_groups:
                group["lr"] *= config.lr_decay
        logger.info("epoch %d: %s%s", epoch, record, " (best)" if improved else "")
        if progress:
            tqdm.write(
                f"epoch {epoch}: train loss {record['train_loss']:.4f}  "
                f"val acc {record['validation_accuracy']:.4f}  val macro-F1 {val_f1:.4f}"
                + ("  *best*" if improved else "")
            )
        if epoch - best_epoch >= config.patience:
            break

    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(model, best_epoch, epoch, time.perf_counter() - started, history)

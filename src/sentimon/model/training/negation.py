"""Short sentences built to teach negation and contrast, with neutral counter-examples.

Tweets and review snippets hold few plain negations ("I don't like it", "not bad at
all"), so the model learnt "like" and "bad" but not what "don't" and "not" do to them.
These templates fill that gap, labelled by VADER's own rules (Hutto & Gilbert 2014, MIT):

- a sentiment word's valence is its rating in VADER's lexicon (-4 to +4);
- a negated word's valence is multiplied by VADER's ``N_SCALAR`` (-0.74): "not good"
  is negative, "not bad" positive;
- after a contrast ("but", "however", "although ...,") the second clause decides;
- valences map to labels with the same neutral band as VADER's rated sentences.

Neutral counter-examples ("The lamp is not blue.", "I didn't take the train.") keep
negation from becoming a shortcut to "negative". Every sentiment word belongs to one
split (by a stable hash), so the test split holds only words never seen in a training
template: it measures whether negation generalises, not whether templates were memorised.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

import numpy as np

from sentimon.model.training.sources import LABELS, rating_labels

DEFAULT_NEGATION_EXAMPLES = 6000
N_SCALAR = -0.74  # vaderSentiment.py: the factor a negation applies to a word's valence

POSITIVE_ADJECTIVES = (
    "good", "great", "excellent", "amazing", "wonderful", "fantastic", "awesome", "helpful",
    "friendly", "delicious", "comfortable", "fun", "enjoyable", "impressive", "pleasant",
    "beautiful", "perfect", "lovely", "clean", "useful", "brilliant", "superb", "satisfying",
    "nice", "funny", "interesting", "exciting", "fresh", "generous", "terrific", "outstanding",
    "charming", "gorgeous", "cool", "fabulous", "adorable", "marvelous",
)  # fmt: skip
NEGATIVE_ADJECTIVES = (
    "bad", "terrible", "awful", "horrible", "disappointing", "boring", "rude", "dirty",
    "broken", "useless", "poor", "annoying", "uncomfortable", "painful", "confusing", "ugly",
    "disgusting", "frustrating", "sad", "worse", "pathetic", "dreadful", "lousy", "nasty",
    "stupid", "worthless", "miserable", "unpleasant", "dull", "weak", "ridiculous", "lame",
    "crappy", "unfriendly", "mediocre",
)  # fmt: skip
SENTIMENT_VERBS = (
    "like", "love", "enjoy", "recommend", "appreciate", "adore", "trust", "hate", "dislike",
    "regret", "despise", "admire", "dread",
)  # fmt: skip
# Words VADER's lexicon lacks, rated by us on its scale.
OWN_VALENCE = {"mediocre": -1.2}

SUBJECTS = (
    "the movie", "this film", "the food", "the service", "the hotel", "this phone",
    "the app", "the staff", "the book", "the battery", "my flight", "the delivery",
    "this product", "the restaurant", "the weather", "the show", "the game", "the update",
    "the coffee", "this laptop", "the plot", "the acting", "the music", "the seller",
    "customer support", "the camera", "the screen", "the trip", "the room", "the meal",
    "the concert", "the class", "the new version", "the ending", "our waiter", "the pizza",
)  # fmt: skip
OBJECTS = ("it", "this", "this place", "that movie", "the new update", "this brand", "them")
INTENSIFIERS = ("", "", "", "very ", "really ", "so ", "quite ")
NEGATED_COPULAS = (
    "is not", "isn't", "was not", "wasn't", "is never", "was never", "is definitely not",
    "wasn't really", "did not seem", "does not look",
)  # fmt: skip
COPULAS = ("is", "was", "is really", "was truly", "seemed", "looks", "felt")
TAILS = ("", "", "", " at all", " in the slightest", " to be honest", " this time")
VERB_NEGATIONS = (
    "don't", "do not", "didn't", "did not", "never", "would not", "wouldn't", "can't",
    "could not", "won't",
)  # fmt: skip
CONTRASTS = (
    "{a}, but {b}.", "{a} but {b}.", "Although {a}, {b}.", "{a}; however, {b}.",
    "{a}. But {b}.", "{b}, even though {a}.", "{b}, although {a}.", "Sure, {a}, but {b}.",
)  # fmt: skip
NEUTRAL_PREDICATES = (
    "blue", "red", "green", "black", "made of plastic", "made of wood", "in English",
    "on the second floor", "available in grey", "scheduled for Monday", "a sequel",
    "sold in stores", "open on Sundays", "part of a series", "heavier than the old one",
    "the same size as before", "listed on the website", "in the other building",
    "written in French", "due next week", "the first one", "shipped from Germany",
)  # fmt: skip
NEUTRAL_ACTIONS = (
    "own a car", "take the train", "read the news today", "watch it on my phone",
    "cook at home", "use the app on weekends", "know the address", "have a printer",
    "go to the store yesterday", "check the schedule", "drive to work", "see the sequel",
    "order the soup", "speak German", "call them back yet", "plan to travel this year",
    "finish the book yet", "change the settings", "live in the city", "eat breakfast",
)  # fmt: skip
NEUTRAL_NEGATIONS = ("don't", "do not", "didn't", "did not", "haven't", "never", "can't")

KIND_SHARES = {
    "plain": 0.12,
    "negated-adjective": 0.30,
    "negated-verb": 0.20,
    "contrast": 0.22,
    "neutral-negation": 0.12,
    "neutral-plain": 0.04,
}


@dataclass(frozen=True, slots=True)
class BuiltExample:
    text: str
    label: str
    kind: str
    split: str  # train, validation or test: the split of its sentiment words


def word_split(word: str) -> str:
    """A word's split by a stable hash: 1 in 8 test, 1 in 8 validation, the rest train."""
    bucket = hashlib.sha256(word.encode()).digest()[0] % 8
    return "test" if bucket == 0 else "validation" if bucket == 1 else "train"


def lexicon_valence(lexicon: dict[str, float]) -> dict[str, float]:
    """The valence of every template word, from VADER's lexicon or OWN_VALENCE."""
    words = (*POSITIVE_ADJECTIVES, *NEGATIVE_ADJECTIVES, *SENTIMENT_VERBS)
    missing = [w for w in words if w not in lexicon and w not in OWN_VALENCE]
    if missing:
        raise ValueError(f"no valence for {missing}: add them to OWN_VALENCE")
    return {w: lexicon.get(w, OWN_VALENCE.get(w, 0.0)) for w in words}


def _label(valence: float, threshold: float) -> str:
    return LABELS[int(rating_labels(np.array([valence]), threshold)[0])]


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


class _Builder:
    def __init__(self, valence: dict[str, float], threshold: float, rng: random.Random):
        self.valence = valence
        self.threshold = threshold
        self.rng = rng
        self.adjectives = [*POSITIVE_ADJECTIVES, *NEGATIVE_ADJECTIVES]

    def _clause(
        self, negated: bool, word: str | None = None, subject: str | None = None
    ) -> tuple[str, str, float]:
        """A clause about a subject: its text, its sentiment word and its valence."""
        pick = self.rng.choice
        word = word or pick(self.adjectives)
        subject = subject or pick(SUBJECTS)
        if negated:
            text = f"{subject} {pick(NEGATED_COPULAS)} {pick(INTENSIFIERS)}{word}"
            return text, word, N_SCALAR * self.valence[word]
        return f"{subject} {pick(COPULAS)} {pick(INTENSIFIERS)}{word}", word, self.valence[word]

    def plain(self) -> tuple[str, float, list[str]]:
        text, word, valence = self._clause(negated=False)
        return _cap(text) + self.rng.choice((".", "!", ".")), valence, [word]

    def negated_adjective(self) -> tuple[str, float, list[str]]:
        pick = self.rng.choice
        word = pick(self.adjectives)
        form = self.rng.random()
        if form < 0.6:
            text, _, valence = self._clause(negated=True, word=word)
            text = _cap(text) + pick(TAILS) + "."
        else:
            valence = N_SCALAR * self.valence[word]
            text = pick(
                (
                    f"Not {word} at all.",
                    f"Not {word}.",
                    f"It's not {word}{pick(TAILS)}.",
                    f"It is not {pick(INTENSIFIERS)}{word}.",
                    f"Honestly, not {word}.",
                    f"That wasn't {word}{pick(TAILS)}.",
                    f"Nothing {word} about it.",
                )
            )
        return text, valence, [word]

    def negated_verb(self) -> tuple[str, float, list[str]]:
        pick = self.rng.choice
        verb = pick(SENTIMENT_VERBS)
        obj = pick((*OBJECTS, pick(SUBJECTS)))
        subject = pick(("I", "I", "We", "I really", "I honestly"))
        if self.rng.random() < 0.35:
            return f"{subject} {verb} {obj}.", self.valence[verb], [verb]
        negation = pick(VERB_NEGATIONS)
        text = f"{subject} {negation} {verb} {obj}{pick(('', '', ' at all', ' anymore'))}."
        return text, N_SCALAR * self.valence[verb], [verb]

    def contrast(self) -> tuple[str, float, list[str]]:
        first, second = (
            self.rng.sample((True, False), 2)
            if self.rng.random() < 0.3
            else (
                False,
                False,
            )
        )
        subject_a, subject_b = self.rng.sample(SUBJECTS, 2)
        a, word_a, valence_a = self._clause(negated=first, subject=subject_a)
        b, word_b, valence_b = self._clause(negated=second, subject=subject_b)
        for _ in range(10):  # the two clauses disagree, or the contrast teaches nothing
            if np.sign(valence_a) != np.sign(valence_b):
                break
            b, word_b, valence_b = self._clause(negated=second, subject=subject_b)
        text = self.rng.choice(CONTRASTS).format(a=a, b=b)
        return _cap(text), valence_b, [word_a, word_b]

    def neutral_negation(self) -> tuple[str, float, list[str]]:
        pick = self.rng.choice
        if self.rng.random() < 0.5:
            predicate = pick(NEUTRAL_PREDICATES)
            text = f"{_cap(pick(SUBJECTS))} {pick(NEGATED_COPULAS[:4])} {predicate}."
            return text, 0.0, [predicate]
        action = pick(NEUTRAL_ACTIONS)
        text = f"{pick(('I', 'We', 'They'))} {pick(NEUTRAL_NEGATIONS)} {action}."
        return text, 0.0, [action]

    def neutral_plain(self) -> tuple[str, float, list[str]]:
        predicate = self.rng.choice(NEUTRAL_PREDICATES)
        return f"{_cap(self.rng.choice(SUBJECTS))} is {predicate}.", 0.0, [predicate]


def build_examples(
    lexicon: dict[str, float], *, n: int, threshold: float, seed: int
) -> list[BuiltExample]:
    """About ``n`` distinct template sentences, labelled by VADER's rules, each with its split."""
    rng = random.Random(seed)
    builder = _Builder(lexicon_valence(lexicon), threshold, rng)
    makers = {
        "plain": builder.plain,
        "negated-adjective": builder.negated_adjective,
        "negated-verb": builder.negated_verb,
        "contrast": builder.contrast,
        "neutral-negation": builder.neutral_negation,
        "neutral-plain": builder.neutral_plain,
    }
    seen: set[str] = set()
    out: list[BuiltExample] = []
    for kind, share in KIND_SHARES.items():
        want, tries = round(n * share), 0
        made = 0
        while made < want and tries < want * 20:
            tries += 1
            text, valence, words = makers[kind]()
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            splits = {word_split(w) for w in words}
            split = next((s for s in ("test", "validation") if s in splits), "train")
            out.append(BuiltExample(text, _label(valence, threshold), kind, split))
            made += 1
    return out

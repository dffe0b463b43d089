"""Everyday sentences built from templates, each labelled by how it was built.

Model 2.0.0 learnt from tweets and reviews, where a plain statement is rare and a
sentence about a problem is nearly always a complaint. So it read "The report has
forty pages." and "Support solved my problem in ten minutes." as negative. These
templates teach what the hand-written everyday sentences teach, at scale, with their
counter-examples beside them:

- plain facts, plans, questions, requests and instructions are neutral, also when they
  carry a negation or a word like "problem", "complaint" or "refund";
- praise of a person, a problem solved, relief and a pleasant surprise are positive;
- a problem reported (late, missing, charged twice), unhelpful people, a problem not
  solved and a bad surprise are negative;
- after a contrast, the clause the sentence lands on decides.

Every sentence's split follows its key phrase (the person, the thing, the fact) by a
stable hash, so the test split holds phrases no training sentence used.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sentimon.model.training.negation import word_split

DEFAULT_EVERYDAY_TEMPLATES = 6000

ROLES = (
    "nurse", "pharmacist", "driver", "receptionist", "waiter", "waitress", "cashier",
    "technician", "engineer", "plumber", "electrician", "mechanic", "teacher", "doctor",
    "dentist", "optician", "midwife", "paramedic", "librarian", "clerk", "agent",
    "manager", "colleague", "trainer", "courier", "porter", "guide", "host", "chef",
    "barista", "cleaner", "caretaker", "consultant", "advisor", "officer", "surgeon",
    "physiotherapist", "vet", "locksmith", "installer", "steward", "pilot", "conductor",
    "developer", "support agent", "bank teller", "tax advisor", "tutor", "coach", "landlord",
)  # fmt: skip
PRAISE = (
    "kind", "patient", "helpful", "friendly", "thorough", "calm", "polite", "attentive",
    "professional", "warm", "knowledgeable", "cheerful", "caring", "considerate",
    "reassuring", "gentle", "efficient", "welcoming", "honest", "generous", "supportive",
    "courteous", "understanding", "brilliant", "lovely", "wonderful", "fantastic",
)  # fmt: skip
PRAISE_ACTS = (
    "explained everything clearly", "took the time to answer all my questions",
    "made me feel at ease", "walked me through every step", "listened carefully",
    "kept us informed the whole time", "went out of their way to help",
    "talked me through the options", "double-checked everything for me",
    "stayed late to finish the job", "showed me how it works", "never rushed me",
    "put my mind at rest", "made the whole process easy",
)  # fmt: skip
BLAME = (
    "rude", "dismissive", "unhelpful", "impatient", "condescending", "careless",
    "unfriendly", "abrupt", "disorganised", "sloppy", "arrogant", "lazy", "useless",
)  # fmt: skip
BLAME_ACTS = (
    "ignored my questions", "hung up on me", "refused to look at the receipt",
    "kept us waiting for an hour", "gave me the wrong information", "blamed me for their mistake",
    "never called back", "laughed at my question", "lost my paperwork", "walked off mid-sentence",
)  # fmt: skip
# (thing, its problem, how it was put right)
TROUBLES = (
    ("my laptop", "would not start", "replaced the battery"),
    ("the boiler", "kept cutting out", "fitted a new valve"),
    ("my order", "was missing two items", "sent the missing items"),
    ("the invoice", "had the wrong amount", "corrected the invoice"),
    ("my account", "was locked", "unlocked my account"),
    ("the printer", "jammed on every page", "cleared the paper path"),
    ("my prescription", "was mixed up with someone else's", "sorted out the mix-up"),
    ("the kitchen tap", "was leaking", "fixed the leak"),
    ("my booking", "disappeared from the system", "restored my booking"),
    ("the app", "crashed on every login", "pushed a fix"),
    ("my parcel", "went to the wrong address", "had it redelivered"),
    ("the car", "made a grinding noise", "replaced the brake pads"),
    ("my phone", "would not charge", "swapped the charging port"),
    ("the wifi", "kept dropping", "reset the router remotely"),
    ("my pension statement", "was wrong", "recalculated it"),
    ("the sync", "stopped working", "repaired the sync"),
    ("my refund", "had not come through", "pushed the refund through"),
    ("the heating", "was off", "got the heating back on"),
    ("my visa application", "was stuck", "moved it forward"),
    ("the payroll error", "left me short", "paid the difference"),
    ("the seat reservation", "was double-booked", "found us two seats together"),
    ("my password reset", "never arrived", "reset it over the phone"),
    ("the washing machine", "flooded the floor", "replaced the pump"),
    ("the lost luggage", "was nowhere to be found", "tracked it down"),
)  # fmt: skip
FIXERS = (
    "Support", "The technician", "The pharmacist", "The help desk", "The mechanic",
    "The plumber", "The engineer", "Customer service", "The team", "The agent", "IT",
    "The landlord", "The bank", "The shop", "The airline", "The council",
)  # fmt: skip
QUICKLY = (
    "in ten minutes", "the same day", "on the first call", "within an hour", "overnight",
    "straight away", "before lunch", "in no time", "the next morning", "while I waited",
)  # fmt: skip
STILL = (
    "after three calls", "after two weeks", "after four emails", "after a month",
    "after two visits", "despite five reminders", "after six weeks",
)  # fmt: skip
THINGS = (
    "the new mattress", "the hotel bed", "the rental car", "the train seat", "the software update",
    "the hiking boots", "the office chair", "the budget airline", "the vegan menu",
    "the cheap headphones", "the online form", "the flu jab", "the new phone", "the coffee machine",
    "the night bus", "the delivery", "the onboarding", "the check-in", "the appointment",
    "the blender", "the school meals", "the walking tour", "the tax return", "the new dashboard",
)  # fmt: skip
GOOD_SURPRISE = (
    "so comfortable", "so quick", "so easy", "this good", "so tasty", "so quiet",
    "so painless", "so well made", "so reliable", "so simple",
)  # fmt: skip
BAD_SURPRISE = (
    "to break so soon", "to be this slow", "to fall apart in a week", "to cost so much",
    "to be so noisy", "to be this confusing", "to stop working after a day",
)  # fmt: skip
CONTAINERS = ("The box", "The parcel", "The kit", "The package", "The bundle", "The starter pack")
CONTENTS = (
    "two cables and a charger", "a user guide in four languages", "three spare filters",
    "a remote and two batteries", "six glasses and a jug", "a wall bracket and screws",
    "the main unit and a power lead", "a sample pack and a leaflet", "four bowls and four plates",
    "a lid, a strap and a spare seal", "the tablet and a stylus", "ten labels and a pen",
)  # fmt: skip
DOCUMENTS = (
    "report", "handbook", "manual", "brochure", "contract", "leaflet", "guide", "policy",
    "timetable", "menu", "catalogue", "agenda", "form", "newsletter", "booklet",
)  # fmt: skip
NAMES = (
    "Maria", "James", "Aisha", "Tom", "Priya", "Lukas", "Chen", "Sofia", "Omar", "Hannah",
    "Daniel", "Mei", "Kofi", "Elena", "Raj", "Grace", "Ivan", "Nadia", "Sam", "Leila",
)  # fmt: skip
WORKPLACES = (
    "in the accounts team", "at the hospital in Leeds", "for a software company",
    "as a night nurse", "at the post office", "in the warehouse", "for the council",
    "at a bakery on Main Street", "in the IT department", "as a bus driver",
    "from home on Fridays", "at the airport", "in the school office", "at the pharmacy",
)  # fmt: skip
MOVERS = (
    "Our office",
    "The clinic",
    "The branch",
    "The shop",
    "Our team",
    "The depot",
    "The library",
    "The dental practice",
    "The help desk",
    "The registry office",
)
PLACES = (
    "the third floor",
    "Station Road",
    "the new building",
    "the town centre",
    "Block C",
    "the business park",
    "the old fire station",
    "the east wing",
)
WHEN = (
    "next month",
    "on Monday",
    "in March",
    "after the holidays",
    "on the first of June",
    "this spring",
    "next week",
    "in the autumn",
)
VENUES = (
    "The pharmacy",
    "The library",
    "The post office",
    "The swimming pool",
    "The bank",
    "The museum",
    "The ticket office",
    "The clinic",
    "The canteen",
    "The recycling centre",
)
TIMES = ("eight", "nine", "half past eight", "ten", "noon", "five", "six", "seven in the evening")
DAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "weekdays",
    "bank holidays",
)
# Words that often carry sentiment in a plain, factual sentence.
LOADED_FACTS = (
    "The complaints desk is on {place}.", "Report any problem to the front desk.",
    "The refund form is on page {n}.", "The error log is saved in the Documents folder.",
    "The emergency dental clinic opens at {time}.",
    "Delays are shown on the board by the entrance.",
    "Lost property is kept at the ticket office.", "The pain clinic moved to {place}.",
    "The issue number is printed on the back cover.", "Complaints must be sent in writing.",
    "The crash report goes to the developers automatically.",
    "Faults are logged by the night shift.",
    "The damage deposit is returned within {n} days.", "The warning light test runs every {day}.",
    "Cancellations are processed on {day}.", "The fire drill is on {day} at {time}.",
)  # fmt: skip
QUESTIONS = (
    "What time does {venue_l} open on {day}?", "Is there a charge for {thing}?",
    "Can I change {thing} online?", "Does {thing} need a signature?",
    "How long does {thing} usually take?", "Where do I collect {thing}?",
    "Do you deliver on {day}?", "Who do I ask about {thing}?",
    "Is {venue_l} open on {day}?", "Can I pay for {thing} by card?",
)  # fmt: skip
REQUESTS = (
    "Please send me {thing} by {day}.", "Could you update {thing} for me?",
    "Please cancel {thing}.", "Can you move {thing} to {day}?",
    "Please add my name to {thing}.", "I'd like to book {thing} for {day}.",
)  # fmt: skip
INSTRUCTIONS = (
    "Bring {thing} to the appointment.", "Enter the code from {thing}.",
    "Attach {thing} to the form.", "Keep {thing} until the end of the month.",
    "Check {thing} before {day}.", "Leave {thing} at reception.",
)  # fmt: skip
PLAIN_THINGS = (
    "the invoice", "the receipt", "the parking permit", "the booking reference", "my new address",
    "the delivery note", "the insurance letter", "the meeting", "the visitor pass",
    "the prescription",
    "the rota", "the travel card", "the order", "the bin collection", "the repair slot",
    "the timesheet", "the seat", "the table for four", "the passport photos", "the lease",
)  # fmt: skip
NEUTRAL_NEGATED = (
    "{thing_c} does not need a signature.", "We are not open on {day}.",
    "{thing_c} is not included in the price.", "There is no service on {day}.",
    "The policy does not cover {thing}.", "You don't need to print {thing}.",
    "{venue} does not open until {time} on {day}.", "{name} isn't in the office on {day}.",
    "The form doesn't ask for {thing}.", "The app does not run on older tablets.",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TemplateSentence:
    text: str
    label: str
    kind: str
    split: str


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


class _Builder:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, options):
        return self.rng.choice(options)

    def _fill(self, template: str) -> str:
        thing = self.pick(PLAIN_THINGS)
        venue = self.pick(VENUES)
        return template.format(
            place=self.pick(PLACES), n=self.rng.randint(2, 60), time=self.pick(TIMES),
            day=self.pick(DAYS), thing=thing, thing_c=_cap(thing), venue=venue,
            venue_l=venue[0].lower() + venue[1:], name=self.pick(NAMES),
        )  # fmt: skip

    # neutral
    def fact(self) -> tuple[str, str, str]:
        r = self.rng.randrange(6)
        if r == 0:
            key = self.pick(CONTENTS)
            verb = self.pick(("contains", "includes", "comes with"))
            return f"{self.pick(CONTAINERS)} {verb} {key}.", "neutral", key
        if r == 1:
            key = self.pick(DOCUMENTS)
            extra = self.pick(("", " and an index", " and two appendices", " in total"))
            return f"The {key} has {self.rng.randint(2, 90)} pages{extra}.", "neutral", key
        if r == 2:
            key = self.pick(WORKPLACES)
            return f"{self.pick(NAMES)} works {key}.", "neutral", key
        if r == 3:
            key = self.pick(MOVERS)
            verb = self.pick(("is moving", "will move", "moved"))
            return f"{key} {verb} to {self.pick(PLACES)} {self.pick(WHEN)}.", "neutral", key
        if r == 4:
            key = self.pick(VENUES)
            verb = self.pick(("opens", "closes"))
            return f"{key} {verb} at {self.pick(TIMES)} on {self.pick(DAYS)}.", "neutral", key
        key = self.pick(LOADED_FACTS)
        return self._fill(key), "neutral", key

    def ask(self) -> tuple[str, str, str]:
        key = self.pick((*QUESTIONS, *REQUESTS, *INSTRUCTIONS))
        return self._fill(key), "neutral", key

    def neutral_negation(self) -> tuple[str, str, str]:
        key = self.pick(NEUTRAL_NEGATED)
        return self._fill(key), "neutral", key

    # positive
    def praise_person(self) -> tuple[str, str, str]:
        role, adj = self.pick(ROLES), self.pick(PRAISE)
        r = self.rng.randrange(3)
        if r == 0:
            return f"The {role} was {adj} and {self.pick(PRAISE_ACTS)}.", "positive", role
        if r == 1:
            return f"Our {role}, {self.pick(NAMES)}, {self.pick(PRAISE_ACTS)}.", "positive", role
        return f"Such a {adj} {role}: she {self.pick(PRAISE_ACTS)}.", "positive", role

    def problem_solved(self) -> tuple[str, str, str]:
        thing, problem, fix = self.pick(TROUBLES)
        r = self.rng.randrange(3)
        if r == 0:
            text = f"{self.pick(FIXERS)} {fix} {self.pick(QUICKLY)}."
        elif r == 1:
            text = f"{_cap(thing)} {problem}, but {self.pick(FIXERS).lower()} {fix} {self.pick(QUICKLY)}."  # noqa: E501
        else:
            verb = self.pick(("solved", "fixed", "sorted out", "resolved"))
            text = f"{self.pick(FIXERS)} {verb} the problem with {thing} {self.pick(QUICKLY)}."
        return text, "positive", thing

    def good_surprise(self) -> tuple[str, str, str]:
        thing = self.pick(THINGS)
        r = self.rng.randrange(3)
        if r == 0:
            text = f"I never expected {thing} to be {self.pick(GOOD_SURPRISE)}."
        elif r == 1:
            text = f"I didn't expect {thing} to be {self.pick(GOOD_SURPRISE)}."
        else:
            text = f"To my surprise, {thing} was {self.pick(GOOD_SURPRISE)}."
        return text, "positive", thing

    # negative
    def complaint(self) -> tuple[str, str, str]:
        thing, problem, _ = self.pick(TROUBLES)
        r = self.rng.randrange(3)
        if r == 0:
            return (
                f"{_cap(thing)} {problem} and nobody has fixed it {self.pick(STILL)}.",
                "negative",
                thing,
            )
        if r == 1:
            verb = self.pick(("solved", "fixed", "sorted out", "resolved"))
            return (
                f"The problem with {thing} is still not {verb} {self.pick(STILL)}.",
                "negative",
                thing,
            )
        return f"{_cap(thing)} {problem} again this week.", "negative", thing

    def blame_person(self) -> tuple[str, str, str]:
        role = self.pick(ROLES)
        if self.rng.random() < 0.5:
            return (
                f"The {role} was {self.pick(BLAME)} and {self.pick(BLAME_ACTS)}.",
                "negative",
                role,
            )
        return f"The {role} {self.pick(BLAME_ACTS)}.", "negative", role

    def bad_surprise(self) -> tuple[str, str, str]:
        thing = self.pick(THINGS)
        return f"I didn't expect {thing} {self.pick(BAD_SURPRISE)}.", "negative", thing

    def contrast(self) -> tuple[str, str, str]:
        role = self.pick(ROLES)
        good = f"the {role} was {self.pick(PRAISE)}"
        thing, problem, _ = self.pick(TROUBLES)
        bad = f"{thing} {problem}"
        if self.rng.random() < 0.5:
            return f"{_cap(good)}, but {bad} {self.pick(STILL)}.", "negative", role
        return f"{_cap(bad)} at first, but {good} and {self.pick(PRAISE_ACTS)}.", "positive", role


KIND_SHARES = {
    "fact": 0.16, "ask": 0.14, "neutral-negation": 0.08, "praise-person": 0.14,
    "problem-solved": 0.12, "good-surprise": 0.06, "complaint": 0.12, "blame-person": 0.08,
    "bad-surprise": 0.04, "contrast": 0.06,
}  # fmt: skip


def build_sentences(n: int = DEFAULT_EVERYDAY_TEMPLATES, seed: int = 13) -> list[TemplateSentence]:
    """About ``n`` distinct sentences, each with its label, kind and split."""
    builder = _Builder(random.Random(seed))
    makers = {
        "fact": builder.fact, "ask": builder.ask, "neutral-negation": builder.neutral_negation,
        "praise-person": builder.praise_person, "problem-solved": builder.problem_solved,
        "good-surprise": builder.good_surprise, "complaint": builder.complaint,
        "blame-person": builder.blame_person, "bad-surprise": builder.bad_surprise,
        "contrast": builder.contrast,
    }  # fmt: skip
    seen: set[str] = set()
    out: list[TemplateSentence] = []
    for kind, share in KIND_SHARES.items():
        want, made, tries = round(n * share), 0, 0
        while made < want and tries < want * 20:
            tries += 1
            text, label, key = makers[kind]()
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            out.append(TemplateSentence(text, label, kind, word_split(key)))
            made += 1
    return out

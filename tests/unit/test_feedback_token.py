"""Feedback tokens: what a forger, a truncating proxy, an old model and a replay get."""

from __future__ import annotations

import base64

import pytest

from sentimon.feedback.intake import FeedbackIntake
from sentimon.feedback.replay import SeenTokens
from sentimon.feedback.token import CLOCK_SKEW_SECONDS, FeedbackSigner, FeedbackTokenError

KEY = b"k" * 32
LABELS = ("negative", "neutral", "positive")


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signer(key: bytes = KEY, version: str = "2.0.0", clock: Clock | None = None) -> FeedbackSigner:
    return FeedbackSigner(
        key,
        model="sentimon-bilstm",
        version=version,
        labels=LABELS,
        max_age_seconds=3600,
        clock=clock or Clock(),
    )


def reason(s: FeedbackSigner, token: str) -> str:
    with pytest.raises(FeedbackTokenError) as caught:
        s.verify(token)
    assert str(caught.value)  # every refusal says why
    return caught.value.reason


def altered_at(token: str, i: int) -> str:
    """``token`` with its character at ``i`` changed: a forgery, different by construction."""
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]


@pytest.mark.parametrize("ending", ["AA", "AB", "BA", "zz"])
def test_a_forgery_always_differs_from_the_token_it_forges(ending):
    token = "s1.cG9zaXRpdmU.1800000000.abc.mac" + ending
    assert altered_at(token, len(token) - 1) != token
    assert altered_at(token, 0) != token


@pytest.mark.parametrize("label", LABELS)
def test_a_token_says_what_was_predicted_and_when(label):
    clock = Clock()
    s = signer(clock=clock)
    claim = s.verify(s.issue(label))
    assert (claim.model, claim.version, claim.predicted_label) == (
        "sentimon-bilstm",
        "2.0.0",
        label,
    )
    assert claim.issued == int(clock.now)


def test_tokens_are_short_url_safe_and_unique():
    s = signer()
    tokens = {s.issue("positive") for _ in range(2000)}
    assert len(tokens) == 2000  # a random nonce each: one prediction, one vote
    for token in list(tokens)[:50]:
        assert len(token) <= 100
        assert set(token) <= set(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
        )


def test_every_truncation_is_refused():
    s = signer()
    token = s.issue("negative")
    for end in range(len(token)):
        assert reason(s, token[:end]) in {"malformed", "forged"}, token[:end]


def test_changing_any_character_is_refused():
    s = signer()
    token = s.issue("negative")
    for i, char in enumerate(token):
        if char == ".":
            continue
        altered = altered_at(token, i)
        assert reason(s, altered) in {"malformed", "forged"}, i


def test_relabelling_a_token_breaks_its_signature():
    s = signer()
    fmt, head, issued, nonce, mac = s.issue("negative").split(".")
    claimed = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).replace(
        b"negative", b"positive"
    )
    head = base64.urlsafe_b64encode(claimed).rstrip(b"=").decode()
    assert reason(s, ".".join((fmt, head, issued, nonce, mac))) == "forged"


def test_a_token_signed_with_another_key_is_forged():
    assert reason(signer(), signer(key=b"x" * 32).issue("positive")) == "forged"


def test_a_token_from_another_model_version_is_refused_by_name():
    old = signer(version="1.0.0").issue("positive")
    with pytest.raises(FeedbackTokenError, match=r"issued by sentimon-bilstm 1\.0\.0") as caught:
        signer(version="2.0.0").verify(old)
    assert caught.value.reason == "other_model"


def test_another_format_and_garbage_are_malformed():
    s = signer()
    token = s.issue("positive")
    assert reason(s, "s2" + token[2:]) == "malformed"
    for garbage in ("", ".", "....", "s1....", "s1.a.b.c.!!!", "héllo", "s1." + "A" * 900):
        assert reason(s, garbage) in {"malformed", "forged"}


def test_a_stale_token_expires_and_one_from_the_future_is_refused():
    clock = Clock()
    s = signer(clock=clock)
    token = s.issue("neutral")
    clock.now += 3600
    assert s.verify(token).predicted_label == "neutral"  # the last second of its age
    clock.now += 1
    assert reason(s, token) == "expired"
    future = signer(clock=Clock(clock.now + CLOCK_SKEW_SECONDS + 10)).issue("neutral")
    assert reason(s, future) == "malformed"
    nearly = signer(clock=Clock(clock.now + CLOCK_SKEW_SECONDS - 10)).issue("neutral")
    assert s.verify(nearly).predicted_label == "neutral"  # another replica's clock, a bit ahead


def test_intake_counts_a_token_once_and_refuses_unknown_labels_without_using_it_up():
    intake = FeedbackIntake.create(signer())
    token = intake.signer.issue("positive")
    with pytest.raises(
        FeedbackTokenError, match="not one of the model's: negative, neutral, positive"
    ):
        intake.take(token, "happy")
    assert intake.take(token, "negative").predicted_label == "positive"
    with pytest.raises(FeedbackTokenError) as caught:
        intake.take(token, "negative")
    assert caught.value.reason == "repeated"
    # A forged token is refused before it can reach the replay guard.
    with pytest.raises(FeedbackTokenError) as caught:
        intake.take(altered_at(token, len(token) - 1), "negative")
    assert caught.value.reason in {"forged", "malformed"}
    assert len(intake.seen) == 1


def test_seen_tokens_forget_once_their_token_expired_and_stay_bounded():
    clock = Clock(0)
    seen = SeenTokens(max_age_seconds=10, capacity=3, clock=clock)
    assert seen.first_use("a") and not seen.first_use("a")
    clock.now = 11
    assert seen.first_use("a")  # the first "a" has expired: its token cannot come back
    for nonce in "bcde":
        assert seen.first_use(nonce)
    assert len(seen) == 3
    assert seen.first_use("a")  # pushed out by capacity, the oldest goes first

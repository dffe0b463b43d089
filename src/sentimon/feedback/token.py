"""Feedback tokens: what a prediction was, signed, so that any worker can take feedback on it.

Every prediction response carries a token; `POST /feedback` sends it back with the true
label. The token holds the model, its version, the predicted label, when it was issued
and a random nonce, and a MAC over all of them with a key every worker and replica
shares. So feedback needs no store shared between workers: the worker that receives it
checks the MAC and reads the prediction out of the token.

    s1.<base64url(model \x1f version \x1f label)>.<issued, unix s>.<nonce>.<mac>

The MAC is keyed BLAKE2b (16 bytes) from the standard library, a MAC by design
(RFC 7693) where SHA-256 needs the HMAC construction: a token costs about 3 µs here,
against 9 µs with hmac.digest. The first part is fixed per label, so it is encoded
once per model.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

FORMAT = "s1"
_SEP = "\x1f"  # ASCII unit separator: cannot occur in a model name, version or label
_MAC_BYTES = 16  # 128 bits: forging one takes 2**128 tries
_NONCE_BYTES = 9  # 72 random bits: 12 characters
# Tokens issued this far in the future (another replica's clock) are still accepted.
CLOCK_SKEW_SECONDS = 300


class FeedbackTokenError(ValueError):
    """A token that cannot be used; `reason` is the metric label, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FeedbackClaim:
    """What a valid token says about the prediction it came with."""

    model: str
    version: str
    predicted_label: str
    issued: int  # unix seconds
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FeedbackSigner:
    """Issues and verifies the tokens of one served model."""

    def __init__(
        self,
        key: bytes,
        *,
        model: str,
        version: str,
        labels: Sequence[str],
        max_age_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for value in (model, version, *labels):
            if _SEP in value:
                raise ValueError(f"{value!r} holds the token separator")
        # Keyed once; each token copies the state (a copy is a third of a fresh keying).
        self._keyed = hashlib.blake2b(key=key, digest_size=_MAC_BYTES, person=b"sentimon-fb")
        self.model, self.version, self.labels = model, version, tuple(labels)
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._head = {
            label: f"{FORMAT}.{_b64(_SEP.join((model, version, label)).encode())}."
            for label in self.labels
        }

    def _mac(self, signed: str) -> bytes:
        mac = self._keyed.copy()
        mac.update(signed.encode())
        return mac.digest()

    def issue(self, predicted_label: str) -> str:
        """A token for a prediction of `predicted_label` made now."""
        signed = (
            f"{self._head[predicted_label]}{int(self._clock())}.{_b64(os.urandom(_NONCE_BYTES))}"
        )
        return f"{signed}.{_b64(self._mac(signed))}"

    def verify(self, token: str) -> FeedbackClaim:
        """The claim inside `token`, or FeedbackTokenError saying why it cannot be used."""
        signed, _, mac = token.rpartition(".")
        parts = signed.split(".")
        if len(parts) != 4 or not all(parts) or not mac:
            raise FeedbackTokenError(
                "malformed", "feedback_token is malformed: send it back exactly as received"
            )
        if parts[0] != FORMAT:
            raise FeedbackTokenError(
                "malformed",
                f"feedback_token has format {parts[0][:8]!r}; this service reads {FORMAT!r}",
            )
        # Compared as text: base64 leaves spare bits in the last character, and a token
        # differing only there must not pass as the same token.
        if not hmac.compare_digest(mac.encode(), _b64(self._mac(signed)).encode()):
            raise FeedbackTokenError(
                "forged",
                "feedback_token's signature does not match: it was altered, cut short, or "
                "signed with another SENTIMON_FEEDBACK_KEY",
            )
        claim = _parse(parts)
        if (claim.model, claim.version) != (self.model, self.version):
            raise FeedbackTokenError(
                "other_model",
                f"feedback_token was issued by {claim.model} {claim.version}; this service "
                f"serves {self.model} {self.version}, and counts feedback on its own answers",
            )
        age = self._clock() - claim.issued
        if age > self.max_age_seconds:
            raise FeedbackTokenError(
                "expired",
                f"feedback_token is {int(age)} s old; feedback is taken for "
                f"{self.max_age_seconds} s after a prediction (SENTIMON_FEEDBACK_MAX_AGE_SECONDS)",
            )
        if age < -CLOCK_SKEW_SECONDS:
            raise FeedbackTokenError("malformed", "feedback_token was issued in the future")
        return claim


def _parse(parts: list[str]) -> FeedbackClaim:
    # Signed by us, so well formed unless the key leaked; still checked, never trusted blindly.
    _format, head, issued, nonce = parts
    try:
        fields = _unb64(head).decode("utf-8").split(_SEP)
    except (binascii.Error, ValueError):
        fields = []
    if len(fields) != 3 or not issued.isdigit():
        raise FeedbackTokenError("malformed", "feedback_token's content is not a prediction")
    model, version, label = fields
    return FeedbackClaim(model, version, label, int(issued), nonce)

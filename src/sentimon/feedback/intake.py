"""Takes one piece of feedback: checks the token and the label, refuses a repeat."""

from __future__ import annotations

from dataclasses import dataclass

from sentimon.feedback.replay import SeenTokens
from sentimon.feedback.token import FeedbackClaim, FeedbackSigner, FeedbackTokenError

# HTTP status and error type of each reason a feedback is refused.
REFUSALS: dict[str, tuple[int, str]] = {
    "malformed": (422, "invalid_feedback_token"),
    "forged": (422, "invalid_feedback_token"),
    "expired": (422, "expired_feedback_token"),
    "unknown_label": (422, "invalid_request"),
    "other_model": (409, "model_version_mismatch"),
    "repeated": (409, "feedback_already_given"),
}


@dataclass
class FeedbackIntake:
    signer: FeedbackSigner
    seen: SeenTokens

    @classmethod
    def create(cls, signer: FeedbackSigner) -> FeedbackIntake:
        return cls(signer, SeenTokens(signer.max_age_seconds))

    def take(self, token: str, label: str) -> FeedbackClaim:
        """The prediction the feedback is about, or FeedbackTokenError saying why not."""
        claim = self.signer.verify(token)
        if label not in self.signer.labels:
            raise FeedbackTokenError(
                "unknown_label",
                f"label {label[:40]!r} is not one of the model's: {', '.join(self.signer.labels)}",
            )
        # Checked last, so a refused request does not use the token up.
        if not self.seen.first_use(claim.nonce):
            raise FeedbackTokenError(
                "repeated",
                "feedback on this prediction was already given; it is counted once "
                "(docs/model-monitoring.md)",
            )
        return claim

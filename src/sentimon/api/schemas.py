"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from sentimon.model.runtime import Prediction

# What str.isspace() calls whitespace, spelt out so that every regex engine reading the
# OpenAPI document's pattern (openapi.py) draws the line where this check does.
_WHITESPACE = (
    r"\t\n\x0b\x0c\r \x1c-\x1f\x85\xa0"  # ASCII and Latin-1
    r"\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A text must hold one character that matches this: one that is not whitespace.
NOT_BLANK = f"[^{_WHITESPACE}]"
_NOT_BLANK = re.compile(NOT_BLANK)

_TEXT = (
    "1 to maxLength characters (SENTIMON_MAX_TEXT_CHARS), not all of them whitespace; "
    "anything else gets 422."
)


def _not_blank(text: str) -> str:
    if _NOT_BLANK.search(text) is None:
        raise ValueError("text is empty: send at least one non-whitespace character")
    return text


class PredictRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"text": "I love it"}]}
    )

    text: StrictStr = Field(description=f"The text to classify: {_TEXT}")

    _check_text = field_validator("text")(_not_blank)


class BatchPredictRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    texts: list[StrictStr] = Field(
        min_length=1,
        description="Texts to classify, in order: 1 to maxItems (SENTIMON_MAX_BATCH), each "
        f"{_TEXT}",
    )

    @field_validator("texts")
    @classmethod
    def _check_texts(cls, texts: list[str]) -> list[str]:
        for i, text in enumerate(texts):
            if _NOT_BLANK.search(text) is None:
                raise ValueError(f"texts[{i}] is empty: send at least one non-whitespace character")
        return texts


class PredictionResult(BaseModel):
    label: str
    confidence: float = Field(description="Probability of the predicted label.")
    scores: dict[str, float] = Field(description="Probability of every label.")
    tokens: int = Field(description="Tokens the model read.")
    truncated: bool = Field(
        description="The text was longer than the model window; the rest was not read."
    )
    feedback_token: str | None = Field(
        None,
        description="Send it to POST /feedback with the true label to say whether this was "
        "right; null when feedback is off (no key).",
    )

    @classmethod
    def of(cls, p: Prediction, feedback_token: str | None) -> PredictionResult:
        return cls(
            label=p.label,
            confidence=p.confidence,
            scores=p.scores,
            tokens=p.tokens,
            truncated=p.truncated,
            feedback_token=feedback_token,
        )


class PredictResponse(PredictionResult):
    model: str
    model_version: str
    request_id: str


class BatchPredictResponse(BaseModel):
    results: list[PredictionResult]
    model: str
    model_version: str
    request_id: str


class TokenWeight(BaseModel):
    text: str
    start: int
    end: int
    weight: float = Field(description="Drop in the label's probability when this token is removed.")


class ExplainResponse(PredictResponse):
    attributions: list[TokenWeight]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"feedback_token": "s1.…", "label": "negative"}]},
    )

    feedback_token: StrictStr = Field(
        max_length=1024, description="The feedback_token of the prediction, as received."
    )
    label: StrictStr = Field(max_length=128, description="The true label of that text.")


class FeedbackResponse(BaseModel):
    model: str
    model_version: str
    predicted_label: str = Field(description="What the model answered.")
    label: str = Field(description="The true label, as sent.")
    correct: bool
    request_id: str


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "loading", "draining"] = Field(
        description="ready: 200; loading (model not loaded yet) or draining (after SIGTERM): 503."
    )
    model: str | None = Field(None, description="The model served, once ready.")
    version: str | None = Field(None, description="Its version, once ready.")


class ErrorBody(BaseModel):
    type: str
    message: str
    details: list[dict] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
    request_id: str | None

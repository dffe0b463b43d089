"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from sentimon.model.runtime import Prediction


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("text is empty: send at least one non-whitespace character")
    return text


class PredictRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"text": "I love it"}]}
    )

    text: StrictStr = Field(description="The text to classify.")

    _check_text = field_validator("text")(_not_blank)


class BatchPredictRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    texts: list[StrictStr] = Field(min_length=1, description="Texts to classify, in order.")

    @field_validator("texts")
    @classmethod
    def _check_texts(cls, texts: list[str]) -> list[str]:
        for i, text in enumerate(texts):
            if not text.strip():
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


class ErrorBody(BaseModel):
    type: str
    message: str
    details: list[dict] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
    request_id: str | None

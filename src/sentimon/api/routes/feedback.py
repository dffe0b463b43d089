"""POST /feedback: the true label for an earlier prediction, counted by predicted and true label."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from sentimon.api.middleware import request_record
from sentimon.api.openapi import BODY_ERRORS
from sentimon.api.schemas import ErrorResponse, FeedbackRequest, FeedbackResponse
from sentimon.feedback.intake import FeedbackIntake

router = APIRouter(
    tags=["feedback"],
    responses={
        **BODY_ERRORS,
        409: {
            "model": ErrorResponse,
            "description": "Feedback on this prediction was already given, or the token "
            "comes from another model version",
        },
        422: {
            "model": ErrorResponse,
            "description": "Token malformed, altered or expired, or label unknown",
        },
        503: {"model": ErrorResponse, "description": "Model not loaded yet, or feedback off"},
    },
)


def _intake(request: Request) -> FeedbackIntake:
    intake = request.app.state.feedback
    if intake is None:
        reason = request.app.state.feedback_off_reason or "model not loaded yet"
        raise HTTPException(503, f"feedback is off: {reason}")
    return intake


@router.post("/feedback", response_model=FeedbackResponse)
async def feedback(body: FeedbackRequest, request: Request) -> FeedbackResponse:
    """Say what the true label of an earlier prediction was, with its feedback_token."""
    claim = _intake(request).take(body.feedback_token, body.label)
    correct = claim.predicted_label == body.label
    metrics = request.app.state.metrics
    if metrics:
        metrics.feedback.count(claim.model, claim.version, claim.predicted_label, body.label)
    record = request_record(request)
    record.predicted_label, record.true_label, record.correct = (
        claim.predicted_label,
        body.label,
        correct,
    )
    return FeedbackResponse(
        model=claim.model,
        model_version=claim.version,
        predicted_label=claim.predicted_label,
        label=body.label,
        correct=correct,
        request_id=record.request_id,
    )

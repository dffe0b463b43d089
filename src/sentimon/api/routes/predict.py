"""Classification routes: /predict, /predict/batch and /explain."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from sentimon.api.deps import app_settings, ready_predictor
from sentimon.api.middleware import RequestRecord, request_record
from sentimon.api.openapi import BODY_ERRORS, NOT_READY
from sentimon.api.schemas import (
    BatchPredictRequest,
    BatchPredictResponse,
    ErrorResponse,
    ExplainResponse,
    PredictionResult,
    PredictRequest,
    PredictResponse,
    TokenWeight,
)
from sentimon.model.errors import InvalidInputError
from sentimon.model.runtime import Prediction, Predictor
from sentimon.settings import Settings

router = APIRouter(
    tags=["predict"],
    responses={
        **BODY_ERRORS,
        422: {
            "model": ErrorResponse,
            "description": "Text missing, not a string, empty, only whitespace or too long; "
            "batch empty or too long",
        },
        **NOT_READY,
    },
)

# Above this many characters a batch is tokenized and run off the event loop,
# so that one big batch does not stall every other request.
_THREADPOOL_CHARS = 20_000

_R = TypeVar("_R", bound=PredictResponse)


# The header the traffic generator sets; read only when SENTIMON_FAULT_INJECTION is on
# (a Header() parameter would cost every request its dependency solving).
FAULT_HEADER = "x-inject-fault"


class InjectedFault(RuntimeError):
    """Raised on purpose by `X-Inject-Fault: error`, to produce a real 500."""


def _check_length(text: str, settings: Settings, field: str = "text") -> None:
    if len(text) > settings.max_text_chars:
        raise InvalidInputError(
            f"{field} is {len(text)} characters; the limit is {settings.max_text_chars} "
            "(SENTIMON_MAX_TEXT_CHARS)"
        )


def _text_hash(text: str) -> str:
    """A short, stable fingerprint to correlate log lines about one text without logging it."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def _record_text(record: RequestRecord, text: str, settings: Settings) -> None:
    """What the access line tells of the text: its length and hash, the text only if asked."""
    record.text_chars = len(text)
    record.text_hash = _text_hash(text)
    if settings.log_text:
        record.text = text


def _token_issuer(request: Request) -> Callable[[str], str | None]:
    """Signs a feedback token for a predicted label; returns None while feedback is off."""
    intake = request.app.state.feedback
    return intake.signer.issue if intake is not None else lambda _label: None


def _respond(cls: type[_R], p: Prediction, predictor: Predictor, request: Request, **extra) -> _R:
    return cls(
        label=p.label,
        confidence=p.confidence,
        scores=p.scores,
        tokens=p.tokens,
        truncated=p.truncated,
        feedback_token=_token_issuer(request)(p.label),
        model=predictor.name,
        model_version=predictor.version,
        request_id=request_record(request).request_id,
        **extra,
    )


def _json(model: PredictResponse) -> Response:
    """The model as a JSON response. It was built from our own values, so FastAPI's
    validation of the returned object against response_model is skipped (the route still
    declares response_model for the OpenAPI schema)."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.post("/predict", response_model=PredictResponse)
async def predict(body: PredictRequest, request: Request) -> Response:
    """Classify one text."""
    predictor, settings = ready_predictor(request), app_settings(request)
    if settings.fault_injection:
        fault = request.headers.get(FAULT_HEADER)
        if fault == "error":
            raise InjectedFault("fault injected by X-Inject-Fault: error")
        if fault == "slow":
            await asyncio.sleep(settings.fault_slow_seconds)
    _check_length(body.text, settings)
    prediction = predictor.predict(body.text)
    record = request_record(request)
    _record_text(record, body.text, settings)
    record.label, record.confidence = prediction.label, round(prediction.confidence, 4)
    return _json(_respond(PredictResponse, prediction, predictor, request))


@router.post("/predict/batch", response_model=BatchPredictResponse)
async def predict_batch(body: BatchPredictRequest, request: Request) -> BatchPredictResponse:
    """Classify up to SENTIMON_MAX_BATCH texts in one call; results keep the order of `texts`."""
    predictor, settings = ready_predictor(request), app_settings(request)
    if len(body.texts) > settings.max_batch:
        raise InvalidInputError(
            f"texts holds {len(body.texts)} items; "
            f"the limit is {settings.max_batch} (SENTIMON_MAX_BATCH)"
        )
    for i, text in enumerate(body.texts):
        _check_length(text, settings, f"texts[{i}]")
    chars = sum(map(len, body.texts))
    record = request_record(request)
    record.texts, record.text_chars = len(body.texts), chars
    if chars > _THREADPOOL_CHARS:
        predictions = await run_in_threadpool(predictor.predict_batch, body.texts)
    else:
        predictions = predictor.predict_batch(body.texts)
    issue = _token_issuer(request)
    return BatchPredictResponse(
        results=[PredictionResult.of(p, issue(p.label)) for p in predictions],
        model=predictor.name,
        model_version=predictor.version,
        request_id=request_record(request).request_id,
    )


@router.post("/explain", response_model=ExplainResponse)
async def explain(body: PredictRequest, request: Request) -> ExplainResponse:
    """Classify one text and weigh each token by occlusion (what the web page highlights)."""
    predictor, settings = ready_predictor(request), app_settings(request)
    _check_length(body.text, settings)
    result = await run_in_threadpool(predictor.explain, body.text)
    weights = [
        TokenWeight(text=t.text, start=t.start, end=t.end, weight=t.weight) for t in result.tokens
    ]
    return _respond(ExplainResponse, result.prediction, predictor, request, attributions=weights)

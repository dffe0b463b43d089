"""Maps errors to JSON responses that say what to fix; nothing here returns HTML or plain text."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sentimon.api.middleware import error_payload, request_record
from sentimon.feedback.intake import REFUSALS
from sentimon.feedback.token import FeedbackTokenError
from sentimon.model.errors import InvalidInputError


def _request_id(request: Request) -> str:
    return request_record(request).request_id


def _loc(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


def _summarise(errors: list[dict]) -> tuple[int, str, str, list[dict]]:
    """Status, type, message and details for a validation failure, never echoing the input."""
    if errors and errors[0].get("type") == "json_invalid":
        err = errors[0]
        position = err["loc"][-1] if err.get("loc") else "?"
        reason = (err.get("ctx") or {}).get("error", "malformed")
        return 400, "invalid_json", f"body is not valid JSON: {reason} at position {position}", []
    details = [
        {
            "field": _loc(tuple(e.get("loc", ()))),
            "problem": e.get("msg", "").removeprefix("Value error, "),
        }
        for e in errors
    ]
    message = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:5])
    return 422, "invalid_request", message, details


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    status, kind, message, details = _summarise(list(exc.errors()))
    return JSONResponse(error_payload(kind, message, _request_id(request), details), status)


async def _invalid_input(request: Request, exc: InvalidInputError) -> JSONResponse:
    return JSONResponse(error_payload("invalid_request", str(exc), _request_id(request)), 422)


async def _feedback_refused(request: Request, exc: FeedbackTokenError) -> JSONResponse:
    metrics = request.app.state.metrics
    if metrics:
        metrics.feedback.count_rejected(exc.reason)
    request_record(request).refused = exc.reason
    status, kind = REFUSALS[exc.reason]
    return JSONResponse(error_payload(kind, str(exc), _request_id(request)), status)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    kinds = {
        404: "not_found",
        405: "method_not_allowed",
        413: "body_too_large",
        415: "unsupported_media_type",
        503: "unavailable",
    }
    kind = kinds.get(exc.status_code, "http_error")
    return JSONResponse(
        error_payload(kind, str(exc.detail), _request_id(request)),
        exc.status_code,
        headers=exc.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(FeedbackTokenError, _feedback_refused)
    app.add_exception_handler(HTTPException, _http_error)

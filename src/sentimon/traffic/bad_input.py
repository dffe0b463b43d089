"""Requests the API must refuse with a 4xx: the `--bad-input` share of a run.

Each kind is a mistake real clients make, sent as raw bytes so that a malformed body
really is malformed on the wire, and each has the status the API answers it with
(api/schemas.py, api/errors.py, api/body_guard.py, api/routes/predict.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from sentimon.settings import Settings
from sentimon.traffic.endpoints import BATCH, EXPLAIN, PREDICT

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class BadInput:
    """One kind of bad request: where it goes, what it carries, what the API answers."""

    name: str
    path: str
    expected: int  # the status the API refuses it with
    body: bytes
    content_type: str = JSON


def _limit(name: str) -> int:
    """The API's default for a limit setting; an API started with a higher one accepts more
    (the summary then warns that a bad request got a 2xx)."""
    return Settings.model_fields[name].default


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


@cache
def bad_inputs() -> dict[str, BadInput]:
    """Every kind, by name, in the order the summary and docs list them."""
    too_long = "This text runs on and on. " * (_limit("max_text_chars") // 26 + 1)
    kinds = (
        BadInput("empty-text", PREDICT, 422, _json({"text": "   "})),
        BadInput("too-long", PREDICT, 422, _json({"text": too_long})),
        BadInput("missing-field", EXPLAIN, 422, _json({"message": "where did my text go"})),
        # Cut short, as a client that builds JSON by hand or loses the end of a body sends it.
        BadInput("malformed-json", PREDICT, 400, b'{"text": "I love it'),
        BadInput("wrong-content-type", PREDICT, 415, b"I love it", "text/plain"),
        BadInput(
            "batch-too-large",
            BATCH,
            422,
            _json({"texts": ["fine"] * (_limit("max_batch") + 1)}),
        ),
    )
    return {kind.name: kind for kind in kinds}

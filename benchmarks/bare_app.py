"""The bare framework limit: sentimon's POST /predict route and schemas, nothing behind them.

    PORT=8001 python benchmarks/bare_app.py

No model, no metrics, no logs, no middleware of ours: FastAPI validates the body
with the same `PredictRequest` and serializes the same `PredictResponse`, served
by uvicorn with the options `sentimon serve` passes (src/sentimon/serving.py).
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

from sentimon.api.schemas import PredictRequest, PredictResponse

# As sentimon.serving.serve passes them; keep the two in step.
UVICORN_OPTIONS = {
    "loop": "uvloop",
    "http": "httptools",
    "server_header": False,
    "log_config": None,
    "access_log": False,
}
_SCORES = {"negative": 0.01, "neutral": 0.02, "positive": 0.97}

app = FastAPI()


@app.post("/predict", response_model=PredictResponse)
async def predict(body: PredictRequest) -> PredictResponse:
    return PredictResponse(
        label="positive",
        confidence=0.97,
        scores=_SCORES,
        tokens=len(body.text.split()),
        truncated=False,
        model="bare",
        model_version="0",
        request_id="0",
    )


@app.get("/readyz")
async def readyz() -> dict:
    return {"ready": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), **UVICORN_OPTIONS)

"""README's first request answers what the README says it answers, with the shipped model."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx

from sentimon.api.app import create_app
from sentimon.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> tuple[str, dict]:
    """The text the README's curl sends and the response it shows (shortened values as ...)."""
    block = README.read_text(encoding="utf-8").split("curl -s -X POST localhost:8000/predict", 1)[1]
    block = block.split("```", 1)[0]
    text = json.loads(re.search(r"-d '(\{.*?\})'", block).group(1))["text"]
    shown = "".join(
        line.lstrip("# ").strip() for line in block.splitlines() if line.startswith("#")
    )
    shown = re.sub(r'"(s1|)\.\.\.\."|"\.\.\."', '"..."', shown)
    return text, json.loads(shown)


async def _answer(text: str) -> dict:
    app = create_app(Settings(log_dir=None, access_log=False, feedback_key="k" * 40))
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://sentimon") as client,
        app.router.lifespan_context(app),
    ):
        response = await client.post("/predict", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_readme_response_has_the_fields_and_figures_the_api_returns():
    text, shown = _example()
    answer = asyncio.run(_answer(text))
    assert list(shown) == list(answer)
    for key in ("label", "tokens", "truncated", "model", "model_version"):
        assert shown[key] == answer[key], key
    assert shown["confidence"] == round(answer["confidence"], 2)
    assert shown["scores"] == {k: round(v, 2) for k, v in answer["scores"].items()}

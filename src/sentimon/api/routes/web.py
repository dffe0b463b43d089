"""The web page at / and its assets, served from the package (no CDN)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

STATIC_DIR = files("sentimon.api") / "static"


@router.get("/", response_class=HTMLResponse)
async def index() -> HTMLResponse:
    # The page loads nothing inline and nothing from elsewhere, so it can forbid both.
    return HTMLResponse(
        (STATIC_DIR / "index.html").read_text(encoding="utf-8"),
        headers={"content-security-policy": "default-src 'self'; img-src 'self' data:"},
    )

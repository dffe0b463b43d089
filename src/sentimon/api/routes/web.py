"""The web page at / and its assets, served from the package (no CDN)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

STATIC_DIR = files("sentimon.api") / "static"

# The page loads nothing inline and nothing from elsewhere, so it can forbid both; it may
# not be framed (clickjacking), and its form posts nowhere but here.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


@router.get("/", response_class=HTMLResponse)
async def index() -> HTMLResponse:
    return HTMLResponse(
        (STATIC_DIR / "index.html").read_text(encoding="utf-8"),
        headers={"content-security-policy": PAGE_POLICY},
    )

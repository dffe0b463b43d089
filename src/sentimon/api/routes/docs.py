"""The API docs: Swagger UI at /docs, with every script, style sheet and icon served from
here. The assets ship in the fastapi-offline package (its `static/` folder; only the files
are used), so the page loads nothing from a CDN, and its policy forbids anything else.

No ReDoc: its page fetches Redocly's logo from their CDN, whatever it is given."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _policy(html: str) -> str:
    """Scripts and the rest from here only; Swagger UI's inline start-up script is let in by
    its hash, and its inline styles as they are (they cannot fetch anything)."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


router = APIRouter(include_in_schema=False)


def _urls(request: Request) -> tuple[str, str]:
    """The document's URL and the assets' folder, behind a proxy's root_path too."""
    root = request.scope.get("root_path", "").rstrip("/")
    return f"{root}{request.app.openapi_url}", f"{root}{ASSETS}"


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    document, assets = _urls(request)
    page = get_swagger_ui_html(
        openapi_url=document,
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon.png",
        # Swagger UI would otherwise ask swagger.io's online validator about the document.
        swagger_ui_parameters={"validatorUrl": None},
    )
    page.headers["content-security-policy"] = _policy(bytes(page.body).decode())
    return page


def install_docs(app: FastAPI) -> None:
    """Serve /docs and its assets (the app is built with docs_url=None)."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")

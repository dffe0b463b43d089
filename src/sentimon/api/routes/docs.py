"""The API docs, Swagger UI at /docs and ReDoc at /redoc, with every script, style sheet and
icon served from here: the assets ship in the fastapi-offline package (its `static/`
folder; only the files are used), so the pages load nothing from a CDN."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"

router = APIRouter(include_in_schema=False)


def _urls(request: Request) -> tuple[str, str]:
    """The document's URL and the assets' folder, behind a proxy's root_path too."""
    root = request.scope.get("root_path", "").rstrip("/")
    return f"{root}{request.app.openapi_url}", f"{root}{ASSETS}"


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    document, assets = _urls(request)
    return get_swagger_ui_html(
        openapi_url=document,
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon.png",
        # Swagger UI would otherwise ask swagger.io's online validator about the document.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    document, assets = _urls(request)
    return get_redoc_html(
        openapi_url=document,
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{assets}/redoc.standalone.js",
        redoc_favicon_url=f"{assets}/favicon.png",
        with_google_fonts=False,
    )


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets (the app is built with docs_url=None)."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")

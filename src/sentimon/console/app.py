"""The console's app: the page, its static files, and a read-only JSON API over a fixed
catalogue of charts. No route takes PromQL; every one answers GET (and HEAD) only."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated, Any, Literal

import httpx
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from sentimon import paths
from sentimon.api.security_headers import SecurityHeadersMiddleware
from sentimon.console import sources
from sentimon.console.charts import BY_ID, CHARTS, DEFAULT_RANGE, RANGES
from sentimon.console.request_logs import REQUEST_ID, NoLogDirectory, request_log_lines
from sentimon.console.settings import ConsoleSettings
from sentimon.console.stack_view import (
    component_states,
    grafana_dashboards,
    scrape_seconds,
)
from sentimon.queries.rule_source import AlertLines, alert_lines
from sentimon.stack.layout import Layout
from sentimon.stack.settings import StackSettings

logger = logging.getLogger(__name__)

STATIC_DIR = files("sentimon.console") / "static"
RangeName = Literal["15m", "1h", "6h"]
assert set(RangeName.__args__) == set(RANGES)  # the picker and the catalogue agree

# Scripts, styles and data from this origin only; nothing inline, nothing framed.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
_NO_STORE = {"cache-control": "no-store"}


def _alert_lines() -> AlertLines | None:
    """The thresholds drawn on the charts; none when deploy/ cannot be found."""
    try:
        return alert_lines()
    except (paths.HomeNotFoundError, OSError, KeyError, ValueError) as error:
        logger.warning("no alert thresholds on the charts: %s", error)
        return None


def create_console_app(
    settings: ConsoleSettings,
    stack: StackSettings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The console; `transport` lets tests answer for Prometheus and Alertmanager."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(settings.timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
            app.state.client = client
            yield

    app = FastAPI(
        title="sentimon console",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(packages=[("sentimon.console", "static")]), name="static")

    lines = _alert_lines()
    scrape = scrape_seconds(stack)
    dashboards = grafana_dashboards(stack.deploy_files.dashboards)
    log_dir = settings.log_dir or Layout(stack.state_dir).api_log_dir
    with_requests = [c.id for c in CHARTS if c.exemplars]
    catalogue = {
        "refresh_seconds": settings.refresh_seconds,
        "ranges": list(RANGES),
        "default_range": DEFAULT_RANGE,
        "prometheus": settings.prometheus_url,
        "alertmanager": settings.alertmanager_url,
        "charts": [
            {
                "id": c.id,
                "title": c.title,
                "unit": c.unit,
                "kind": c.kind,
                "description": c.description,
                "dashboard": c.dashboard,
                "threshold": c.threshold(lines) if c.threshold and lines else None,
                "requests": c.exemplars is not None,
            }
            for c in CHARTS
        ],
    }

    def client(request: Request) -> httpx.AsyncClient:
        return request.app.state.client

    def unreachable(error: sources.SourceError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=502, headers=_NO_STORE)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(
            (STATIC_DIR / "index.html").read_text(encoding="utf-8"),
            headers={"content-security-policy": PAGE_POLICY, "referrer-policy": "no-referrer"},
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/charts")
    async def chart_list() -> JSONResponse:
        return JSONResponse(catalogue, headers=_NO_STORE)

    @app.get("/api/charts/{chart_id}")
    async def chart(
        chart_id: str,
        request: Request,
        time_range: Annotated[RangeName, Query(alias="range")] = DEFAULT_RANGE,
    ) -> JSONResponse:
        found = BY_ID.get(chart_id)
        if found is None:
            raise HTTPException(404, f"no chart {chart_id!r}; charts: {', '.join(BY_ID)}")
        try:
            data = await sources.chart_data(
                client(request), settings.prometheus_url, found, RANGES[time_range], scrape
            )
        except sources.SourceError as error:
            return unreachable(error)
        return JSONResponse(data, headers=_NO_STORE)

    @app.get("/api/requests")
    async def slowest_requests(
        request: Request,
        chart: Annotated[str, Query(max_length=64)],
        at: Annotated[float, Query(gt=0, allow_inf_nan=False, description="Unix s: the end.")],
    ) -> JSONResponse:
        found = BY_ID.get(chart)
        selector = found.exemplar_selector() if found else None
        if selector is None:
            return JSONResponse(
                {"error": f"no requests for chart {chart!r}; charts: {', '.join(with_requests)}"},
                status_code=404,
                headers=_NO_STORE,
            )
        try:
            listed = await sources.slowest_requests(
                client(request), settings.prometheus_url, selector, at
            )
        except sources.SourceError as error:
            return unreachable(error)
        window = {"from": at - sources.REQUEST_WINDOW_SECONDS, "to": at}
        return JSONResponse({"chart": chart, **window, "requests": listed}, headers=_NO_STORE)

    @app.get("/api/logs")
    async def request_logs(
        request_id: Annotated[str, Query(pattern=f"^{REQUEST_ID.pattern}$")],
    ) -> JSONResponse:
        try:
            found = await asyncio.to_thread(request_log_lines, log_dir, request_id)
        except NoLogDirectory as error:
            return JSONResponse({"error": str(error)}, status_code=404, headers=_NO_STORE)
        except OSError as error:
            return JSONResponse(
                {"error": f"cannot read the logs in {log_dir}: {error}"},
                status_code=500,
                headers=_NO_STORE,
            )
        return JSONResponse(found, headers=_NO_STORE)

    @app.get("/api/alerts")
    async def alert_list(request: Request) -> JSONResponse:
        try:
            found = await sources.alerts(client(request), settings.alertmanager_url)
        except sources.SourceError as error:
            return unreachable(error)
        return JSONResponse({"alerts": found}, headers=_NO_STORE)

    @app.get("/api/components")
    async def components(request: Request) -> JSONResponse:
        states, grafana_up = await asyncio.gather(
            asyncio.to_thread(component_states, stack),
            sources.grafana_is_up(client(request), settings.grafana_url),
        )
        grafana: dict[str, Any] = {"url": settings.grafana_url, "up": grafana_up}
        grafana["dashboards"] = [
            {"stem": d.stem, "title": d.title, "url": f"{settings.grafana_url}/d/{d.uid}"}
            for d in dashboards
        ]
        return JSONResponse({"components": states, "grafana": grafana}, headers=_NO_STORE)

    return app

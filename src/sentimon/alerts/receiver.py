"""`sentimon alerts listen`: an Alertmanager webhook receiver that shows each notification.

Alertmanager POSTs its webhook payload (version 4) to /alerts. Each alert in it is
printed as one readable line and logged as one JSON line, and the last
notifications are kept in memory for GET /alerts, so that a person, a script
and the end-to-end tests can all see what was delivered.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

logger = logging.getLogger(__name__)


def describe(notification: dict[str, Any]) -> list[str]:
    """One human line per alert: status, name, severity, summary."""
    lines = []
    for alert in notification.get("alerts", []):
        labels, annotations = alert.get("labels", {}), alert.get("annotations", {})
        lines.append(
            f"{alert.get('status', '?').upper():8} {labels.get('alertname', '?')}"
            f" [{labels.get('severity', '-')}] {annotations.get('summary', '')}".rstrip()
        )
    return lines


def create_receiver_app(echo: Callable[[str], None], keep: int = 500) -> Starlette:
    """The receiver; `echo` shows each line to a person (the CLI passes a console printer)."""
    received: deque[dict[str, Any]] = deque(maxlen=keep)

    async def receive(request: Request) -> JSONResponse:
        try:
            notification = await request.json()
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, 400)
        if not isinstance(notification, dict) or not isinstance(notification.get("alerts"), list):
            return JSONResponse(
                {"error": "not an Alertmanager webhook payload (no alerts list)"}, 422
            )
        received.append(notification)
        for line, alert in zip(describe(notification), notification["alerts"], strict=True):
            echo(line)
            logger.info(
                "alert %s",
                line,
                extra={
                    "alert_status": alert.get("status"),
                    "alertname": alert.get("labels", {}).get("alertname"),
                    "labels": alert.get("labels", {}),
                    "annotations": alert.get("annotations", {}),
                    "starts_at": alert.get("startsAt"),
                    "ends_at": alert.get("endsAt"),
                    "receiver": notification.get("receiver"),
                    "group_key": notification.get("groupKey"),
                },
            )
        return JSONResponse({"status": "received", "alerts": len(notification["alerts"])})

    async def history(request: Request) -> JSONResponse:
        return JSONResponse(list(received))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/alerts", receive, methods=["POST"]),
            Route("/alerts", history, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )

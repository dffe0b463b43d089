import asyncio

import httpx

from sentimon.alerts.receiver import create_receiver_app, describe

NOTIFICATION = {
    "version": "4",
    "status": "firing",
    "receiver": "sentimon-webhook",
    "groupKey": '{}:{alertname="HighErrorRate"}',
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "job": "sentimon"},
            "annotations": {"summary": "More than half of requests fail", "description": "71%"},
            "startsAt": "2026-11-27T00:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
        }
    ],
}


def _exchange(app, *requests):
    """Send requests to the ASGI app in process; returns the responses."""

    async def run():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            return [await client.request(method, url, **kw) for method, url, kw in requests]

    return asyncio.run(run())


def test_describe_gives_one_line_per_alert():
    assert describe(NOTIFICATION) == [
        "FIRING   HighErrorRate [critical] More than half of requests fail"
    ]


def test_notifications_are_shown_logged_and_kept(caplog):
    shown = []
    with caplog.at_level("INFO"):
        posted, listed = _exchange(
            create_receiver_app(shown.append),
            ("POST", "/alerts", {"json": NOTIFICATION}),
            ("GET", "/alerts", {}),
        )
    assert posted.json() == {"status": "received", "alerts": 1}
    assert listed.json() == [NOTIFICATION]
    assert shown == describe(NOTIFICATION)
    (record,) = [r for r in caplog.records if r.name == "sentimon.alerts.receiver"]
    assert record.alertname == "HighErrorRate" and record.labels["severity"] == "critical"


def test_bad_payloads_are_refused_and_not_kept():
    bad_json, no_alerts, listed = _exchange(
        create_receiver_app(lambda line: None),
        ("POST", "/alerts", {"content": b"{oops"}),
        ("POST", "/alerts", {"json": {"no": "alerts"}}),
        ("GET", "/alerts", {}),
    )
    assert bad_json.status_code == 400 and no_alerts.status_code == 422
    assert listed.json() == []

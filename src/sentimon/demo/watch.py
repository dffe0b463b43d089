"""Alert states as Prometheus and Alertmanager see them, and each change as it happens."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

# Prometheus: inactive -> pending -> firing -> inactive. Alertmanager: absent ->
# active (or suppressed by an inhibition or silence) -> resolved (gone from its API).
# The webhook receiver: nothing yet -> notified firing -> notified resolved.
INACTIVE, RESOLVED, NOTHING = "inactive", "resolved", "none"
_ABSENT = {"prometheus": INACTIVE, "alertmanager": RESOLVED, "receiver": NOTHING}
# Which state wins when one alert has several series in different states.
_RANK = {"pending": 1, "suppressed": 1, "unprocessed": 1, "firing": 2, "active": 2}


@dataclass(frozen=True)
class AlertKey:
    source: str
    """prometheus, alertmanager or receiver."""
    alertname: str
    severity: str

    def __str__(self) -> str:
        return f"{self.alertname}{{severity={self.severity}}}"


@dataclass(frozen=True)
class Transition:
    at: float
    """time.time() of the poll that saw it."""
    key: AlertKey
    old: str
    new: str


@dataclass
class AlertWatcher:
    """Polls both APIs for the named alerts; `poll()` returns what changed since the last call."""

    prometheus_url: str
    alertmanager_url: str
    alertnames: frozenset[str]
    receiver_url: str | None = None
    """`sentimon alerts listen`, whose GET /alerts lists the notifications it got."""
    timeout: float = 5.0
    states: dict[AlertKey, str] = field(default_factory=dict)
    client: httpx.Client = field(default_factory=httpx.Client)

    def _prometheus(self) -> dict[AlertKey, str]:
        response = self.client.get(f"{self.prometheus_url}/api/v1/alerts", timeout=self.timeout)
        response.raise_for_status()
        alerts = response.json()["data"]["alerts"]
        return self._strongest("prometheus", ((a["labels"], a["state"]) for a in alerts))

    def _alertmanager(self) -> dict[AlertKey, str]:
        response = self.client.get(f"{self.alertmanager_url}/api/v2/alerts", timeout=self.timeout)
        response.raise_for_status()
        alerts = response.json()
        return self._strongest(
            "alertmanager", ((a["labels"], a["status"]["state"]) for a in alerts)
        )

    def _strongest(self, source: str, alerts: Iterable[tuple[dict, str]]) -> dict[AlertKey, str]:
        """One state per alert name and severity: an alert with several series (ModelDrift,
        one per signal) is as far along as its furthest series."""
        states: dict[AlertKey, str] = {}
        for labels, state in alerts:
            if labels["alertname"] in self.alertnames:
                key = AlertKey(source, labels["alertname"], labels.get("severity", ""))
                if _RANK.get(state, 0) >= _RANK.get(states.get(key, ""), -1):
                    states[key] = state
        return states

    def _receiver(self) -> dict[AlertKey, str]:
        if self.receiver_url is None:
            return {}
        response = self.client.get(f"{self.receiver_url}/alerts", timeout=self.timeout)
        response.raise_for_status()
        latest: dict[AlertKey, str] = {}
        for notification in response.json():  # oldest first: the last notification wins
            # A notification carries its whole group (ModelDrift on two signals, say):
            # the group is firing while any of its alerts is.
            alerts = ((a["labels"], a["status"]) for a in notification["alerts"])
            latest.update(self._strongest("receiver", alerts))
        return latest

    def current(self) -> dict[AlertKey, str]:
        return {**self._prometheus(), **self._alertmanager(), **self._receiver()}

    def poll(self) -> list[Transition]:
        now, seen = time.time(), self.current()
        changes = []
        for key in sorted(seen.keys() | self.states.keys(), key=str):
            gone = _ABSENT[key.source]
            old, new = self.states.get(key, gone), seen.get(key, gone)
            if old != new:
                changes.append(Transition(now, key, old, new))
        self.states = seen
        return changes

    def close(self) -> None:
        self.client.close()

    def state(self, source: str, alertname: str, severity: str) -> str:
        return self.states.get(AlertKey(source, alertname, severity), _ABSENT[source])

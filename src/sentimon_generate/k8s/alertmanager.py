"""alertmanager.yml as a Prometheus Operator AlertmanagerConfig (monitoring.coreos.com/v1alpha1).

The routing tree, the inhibitions and the webhook receiver carry over one to one, in the
CRD's spelling (camelCase, matchers as objects). Receivers that read a secret from a file
(Slack, email) do not: an AlertmanagerConfig names Kubernetes Secrets instead, and one
that names a missing Secret is rejected whole by the Operator. They and the routes to them
(matched by a label no rule sets) are left out; docs/kubernetes.md shows how to add them.
"""

from __future__ import annotations

import re

# name="value", name!="value", name=~"re", name!~"re", quoted or not, as alertmanager.yml has them.
_MATCHER = re.compile(
    r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$'
)

_DURATIONS = {
    "group_wait": "groupWait",
    "group_interval": "groupInterval",
    "repeat_interval": "repeatInterval",
}


class UntranslatableError(ValueError):
    """Something in alertmanager.yml the generator does not know how to carry over."""


def matcher(text: str) -> dict:
    match = _MATCHER.match(text)
    if match is None:
        raise UntranslatableError(f'matcher {text!r} is not name<op>"value"')
    name, op, quoted, bare = match.groups()
    value = bare if quoted is None else quoted.replace('\\"', '"')
    return {"name": name, "value": value, "matchType": op}


def _translatable_receivers(config: dict) -> set[str]:
    """Receivers with webhooks only: those need no Secret."""
    names = set()
    for receiver in config.get("receivers", []):
        kinds = set(receiver) - {"name"}
        if kinds <= {"webhook_configs"}:
            names.add(receiver["name"])
    return names


def _route(route: dict, keep: set[str]) -> dict:
    out: dict = {}
    if "receiver" in route:
        out["receiver"] = route["receiver"]
    if "group_by" in route:
        out["groupBy"] = list(route["group_by"])
    for key, camel in _DURATIONS.items():
        if key in route:
            out[camel] = route[key]
    if "matchers" in route:
        out["matchers"] = [matcher(m) for m in route["matchers"]]
    if route.get("continue"):
        out["continue"] = True
    children = [r for r in route.get("routes", []) if r.get("receiver", "") in keep]
    if children:
        out["routes"] = [_route(child, keep) for child in children]
    unknown = set(route) - {"receiver", "group_by", "matchers", "continue", "routes", *_DURATIONS}
    if unknown:
        raise UntranslatableError(f"route keys {sorted(unknown)} are not translated")
    return out


def _webhook(config: dict, url: str) -> dict:
    out = {"url": url}
    if "send_resolved" in config:
        out["sendResolved"] = config["send_resolved"]
    if "max_alerts" in config:
        out["maxAlerts"] = config["max_alerts"]
    return out


def alertmanager_config(config: dict, *, name: str, webhook_url: str) -> dict:
    """The AlertmanagerConfig for ``config``; every webhook posts to ``webhook_url``."""
    keep = _translatable_receivers(config)
    route = config["route"]
    if route["receiver"] not in keep:
        raise UntranslatableError(f"the default receiver {route['receiver']} needs a Secret")
    receivers = [
        {
            "name": receiver["name"],
            "webhookConfigs": [_webhook(hook, webhook_url) for hook in receiver["webhook_configs"]],
        }
        for receiver in config["receivers"]
        if receiver["name"] in keep
    ]
    inhibitions = [
        {
            "sourceMatch": [matcher(m) for m in rule["source_matchers"]],
            "targetMatch": [matcher(m) for m in rule["target_matchers"]],
            "equal": list(rule.get("equal", [])),
        }
        for rule in config.get("inhibit_rules", [])
    ]
    return {
        "apiVersion": "monitoring.coreos.com/v1alpha1",
        "kind": "AlertmanagerConfig",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "sentimon"}},
        "spec": {"route": _route(route, keep), "receivers": receivers, "inhibitRules": inhibitions},
    }

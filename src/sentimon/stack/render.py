"""Render the native stack's configs from deploy/: the same files, with 127.0.0.1 addresses."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import yaml

from sentimon import durations, yaml_text
from sentimon.stack.components import Component
from sentimon.stack.layout import Layout
from sentimon.stack.settings import LOOPBACK, StackSettings

WEBHOOK_RECEIVER = "sentimon-webhook"


def _header(source: Path) -> str:
    return (
        f"# Rendered by `sentimon stack up` from {source}: edit that file, not this one.\n"
        "# Only addresses, paths and intervals differ from the source.\n"
    )


def _write_yaml(path: Path, document: dict, source: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml_text.dump(document, allow_unicode=True)
    path.write_text(_header(source) + body)


# A duration inside a range selector or subquery: [5m], [1h:30s].
_RANGE = re.compile(rf"(?<=[\[:])({durations.PATTERN})(?=[\]:])")


def scale_duration(duration: str, scale: float) -> str:
    """The duration divided by scale, in milliseconds (both Prometheus and Alertmanager read ms)."""
    return f"{max(1, round(durations.seconds(duration) * 1000 / scale))}ms"


def scale_rules(document: dict, scale: float) -> dict:
    """The rule groups with every `for` and every range window divided by scale."""
    for group in document["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = scale_duration(rule["for"], scale)
            rule["expr"] = _RANGE.sub(lambda m: scale_duration(m.group(1), scale), rule["expr"])
    return document


def render_prometheus(settings: StackSettings, layout: Layout) -> None:
    """prometheus.yml with the configured intervals, and the rule files beside it."""
    source = settings.deploy_files.prometheus_config
    config = yaml.safe_load(source.read_text())
    scrape = settings.scrape_interval
    config["global"]["scrape_interval"] = scrape
    config["global"]["evaluation_interval"] = settings.evaluation_interval
    if durations.seconds(config["global"]["scrape_timeout"]) > durations.seconds(scrape):
        config["global"]["scrape_timeout"] = scrape  # Prometheus refuses a longer timeout
    _write_yaml(layout.prometheus_config, config, source)

    rules = rules_dir(layout)
    shutil.rmtree(rules, ignore_errors=True)
    rules.mkdir(parents=True)
    for source in sorted(settings.deploy_files.rules.glob("*.yml")):
        render_rule_file(settings, layout, source)


def rules_dir(layout: Layout) -> Path:
    return layout.prometheus_config.parent / "rules"


def render_rule_file(settings: StackSettings, layout: Layout, source: Path) -> Path:
    """One rule file into the rendered rules, under its own name, scaled to the profile."""
    target = rules_dir(layout) / source.name
    if settings.time_scale == 1:
        shutil.copyfile(source, target)
    else:
        scaled = scale_rules(yaml.safe_load(source.read_text()), settings.time_scale)
        _write_yaml(target, scaled, source)
    return target


def render_targets(settings: StackSettings, layout: Layout, running: Iterable[Component]) -> None:
    """targets/<job>.yml for each running component; no file (no target) for the others."""
    layout.targets.mkdir(parents=True, exist_ok=True)
    wanted = {c.job: c for c in running if c.job}
    for stale in layout.targets.glob("*.yml"):
        if stale.stem not in wanted:
            stale.unlink()
    for job, component in wanted.items():
        address = f"{LOOPBACK}:{component.port(settings)}"
        text = f'# {component.title}, started by `sentimon stack up`.\n- targets: ["{address}"]\n'
        path = layout.targets / f"{job}.yml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(path)  # Prometheus watches the directory: never let it read half a file


def render_alertmanager(settings: StackSettings, layout: Layout) -> None:
    """alertmanager.yml posting to this stack's receiver port, templates from deploy/."""
    source = settings.deploy_files.alertmanager_config
    config = yaml.safe_load(source.read_text())
    config["templates"] = [str(source.parent / pattern) for pattern in config["templates"]]
    if settings.time_scale != 1:
        _scale_route(config["route"], settings.time_scale)
    for receiver in config["receivers"]:
        if receiver["name"] == WEBHOOK_RECEIVER:
            for webhook in receiver["webhook_configs"]:
                webhook["url"] = f"{settings.url('receiver')}/alerts"
    _write_yaml(layout.alertmanager_config, config, source)


def _scale_route(route: dict, scale: float) -> None:
    for key in ("group_wait", "group_interval", "repeat_interval"):
        if key in route:
            route[key] = scale_duration(route[key], scale)
    for child in route.get("routes", []):
        _scale_route(child, scale)


def render_all(settings: StackSettings, layout: Layout, running: Iterable[Component]) -> None:
    render_prometheus(settings, layout)
    render_targets(settings, layout, running)
    render_alertmanager(settings, layout)

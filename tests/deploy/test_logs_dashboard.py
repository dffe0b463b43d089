"""The Logs dashboard and the links into it: every LogQL query is one Loki runs, whatever
the drop-downs say; its level drop-down is the collector's vocabulary; a request id from an
exemplar or a log line opens it filtered on that request."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from logql import Matcher, accepted_by_loki, stream_selectors
from test_loki_collector import components, strip_comments

pytest.importorskip(
    "grafana_foundation_sdk",
    reason="grafana-foundation-sdk is not installed (the dev extra): dashboards not generated",
)

from sentimon.queries.promql import expand
from sentimon_generate.dashboards import DASHBOARDS, build_json, logs
from sentimon_generate.dashboards.generate import BUILTIN_VALUES, datasource_uid, iter_panels

ROOT = Path(__file__).resolve().parents[2]
DATASOURCES = ROOT / "deploy/grafana/provisioning/datasources/datasources.yml"
COLLECTORS = [ROOT / "deploy/collector/config.alloy", ROOT / "deploy/k8s/alloy/config.alloy"]
# The histograms that carry a request id (and a trace id) as exemplars (docs/metrics.md).
EXEMPLAR_HISTOGRAMS = {
    "api": "http_request_duration_seconds_bucket",
    "model": "model_inference_duration_seconds_bucket",
}
# What the provisioning file's ${VAR}s are set to (deploy/compose.yaml, `sentimon stack`).
ENV = {
    "PROMETHEUS_URL": "http://prometheus:9090",
    "LOKI_URL": "http://loki:3100",
    "ALERTMANAGER_URL": "http://alertmanager:9093",
}


@pytest.fixture(scope="module")
def dashboards() -> dict[str, dict]:
    return {name: build_json(name) for name in DASHBOARDS}


@pytest.fixture(scope="module")
def datasources() -> dict[str, dict]:
    config = yaml.safe_load(DATASOURCES.read_text())
    return {ds["uid"]: ds for ds in config["datasources"]}


# ---- Grafana's side: what a query becomes once the drop-downs are filled in ------------


def _loki_regex_escape(value: str) -> str:
    """lokiSpecialRegexEscape: one value of a multi-value variable, as a literal in a regex
    inside a LogQL string (so `.` becomes `\\\\.`)."""
    return re.sub(r"([$^*{}\[\]+?.()|])", r"\\\\\1", value)


def _states(variable: dict) -> list[str]:
    """What Grafana writes for a variable: All, one value, two values; a text box empty or
    holding an id."""
    if variable["type"] == "textbox":
        return ["", "4bf92f3577b34da6a3ce929d0e0e4736"]
    if variable["type"] == "custom":
        options = [v.strip() for v in variable["query"].split(",")]
    else:  # label values Loki would list
        options = ["sentimon", "node-exporter"]
    escaped = [_loki_regex_escape(option) for option in options]
    states = [*escaped, "(" + "|".join(escaped[:2]) + ")"]
    if variable.get("includeAll"):
        states.append(variable.get("allValue") or "(" + "|".join(escaped) + ")")
    return states


def filled_in(dashboard: dict, expr: str) -> list[str]:
    """`expr` under every combination of its variables' values."""
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    used = sorted({name for name in variables if re.search(rf"\$\{{?{name}\b", expr)})
    combinations = itertools.product(*(_states(variables[name]) for name in used))
    return [
        expand(expr, {**BUILTIN_VALUES, **dict(zip(used, values, strict=True))})
        for values in combinations
    ]


def loki_exprs(dashboard: dict) -> list[str]:
    """Every LogQL text the dashboard sends: panel queries and variable queries."""
    exprs = [
        target["expr"]
        for panel in iter_panels(dashboard)
        for target in panel.get("targets", [])
        if datasource_uid(panel, target) == "loki"
    ]
    exprs += [
        variable["query"]
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query" and variable.get("datasource", {}).get("uid") == "loki"
    ]
    return exprs


@pytest.mark.parametrize(
    ("selector", "accepted"),
    [
        ('{service=~".*"}', False),  # the old level drop-down's query with service at All
        ('{service=~".*", level=~"(?i).*"}', False),
        ('{level=""}', False),
        ('{job=~".+", service=~".*"}', True),
        ('{job="syslog"}', True),
        ('{service!=""}', True),
        ('{level=~"(?i)error|critical"}', True),
    ],
)
def test_the_check_reads_selectors_as_loki_does(selector, accepted):
    (matchers,) = stream_selectors(selector)
    assert accepted_by_loki(matchers) is accepted


def test_the_check_finds_every_selector_of_a_metric_query():
    expr = 'sum(count_over_time({a="x"} |~ "\\\\d{3}" [1m])) / sum(rate({b=~".*"}[1m]))'
    assert stream_selectors(expr) == [[Matcher("a", "=", "x")], [Matcher("b", "=~", ".*")]]


def test_every_loki_query_is_one_loki_runs_whatever_the_drop_downs_say(dashboards):
    checked = 0
    for name, dashboard in dashboards.items():
        for expr in loki_exprs(dashboard):
            for concrete in filled_in(dashboard, expr):
                selectors = stream_selectors(concrete)
                assert selectors or concrete.startswith("label_values("), concrete
                for matchers in selectors:
                    assert accepted_by_loki(matchers), f"{name}: Loki refuses {concrete}"
                checked += 1
    assert checked > 100  # every panel of the Logs dashboard, in every combination


# ---- one level vocabulary, from the collector to the drop-down ------------------------


def collector_levels(path: Path) -> list[str]:
    """The levels the collector's loki.process "levels" gives the level label, in order."""
    body = components(strip_comments(path.read_text()))[("loki.process", "levels")]
    return re.findall(r'values\s*=\s*\{level = "(\w+)"\}', body)


def test_the_level_drop_down_is_the_collectors_vocabulary(dashboards):
    variables = {v["name"]: v for v in dashboards["logs"]["templating"]["list"]}
    level = variables["level"]
    assert level["type"] == "custom"  # not a Loki query: no selector to get wrong
    assert [v.strip() for v in level["query"].split(",")] == list(logs.LEVELS)
    assert level["multi"] and level["includeAll"]
    assert level["allValue"] == ".*"  # All keeps the lines that have no level, too
    assert level["current"]["value"] == "$__all"
    for path in COLLECTORS:
        assert collector_levels(path) == list(logs.LEVELS), path


def test_every_level_a_query_names_is_in_the_vocabulary(dashboards):
    named: set[str] = set()
    for expr in loki_exprs(dashboards["logs"]):
        for matchers in stream_selectors(expr):
            for matcher in (m for m in matchers if m.name == "level"):
                assert "(?i)" not in matcher.value, f"one vocabulary, no case to ignore: {expr}"
                if "$" not in matcher.value:
                    named |= set(matcher.value.split("|"))
    assert named == {"error", "critical"}  # ERROR_LINES
    assert named <= set(logs.LEVELS)
    (error_lines,) = stream_selectors(logs.ERROR_LINES)
    for level in logs.LEVELS:
        labels = {"job": "sentimon", "level": level, "stream": "stderr"}
        picked = all(m.matches(labels.get(m.name, "")) for m in error_lines if "$" not in m.value)
        assert picked is (level in {"error", "critical"}), level


def test_every_loki_query_filters_on_service_and_level(dashboards):
    variables = {v["name"]: v for v in dashboards["logs"]["templating"]["list"]}
    assert variables["service"]["datasource"]["uid"] == "loki"
    assert variables["service"]["multi"] and variables["service"]["includeAll"]
    for expr in loki_exprs(dashboards["logs"]):
        if expr.startswith("label_values("):
            continue  # the service drop-down's own query
        for matchers in stream_selectors(expr):
            assert Matcher("service", "=~", "$service") in matchers, expr
            assert Matcher("level", "=~", "$level") in matchers, expr


# ---- the request id ----------------------------------------------------------------------


def test_the_request_id_box_filters_every_panel_and_keeps_every_line_when_empty(dashboards):
    dashboard = dashboards["logs"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables[logs.REQUEST_ID]["type"] == "textbox"
    panels = [expr for expr in loki_exprs(dashboard) if not expr.startswith("label_values(")]
    assert len(panels) >= 8
    for expr in panels:
        assert f'|= "${logs.REQUEST_ID}"' in expr, expr
        # An exact `| request_id="$request_id"` would keep only id-less lines when empty.
        assert not re.search(r"\|\s*request_id\s*[=!]", expr), expr
        values = {"service": ".*", "level": ".*", "search": "", logs.REQUEST_ID: ""}
        assert '|= ""' in expand(expr, {**BUILTIN_VALUES, **values}), expr


# ---- exemplars, and the links into the Logs dashboard -----------------------------------


def test_the_latency_and_inference_panels_ask_for_exemplars(dashboards):
    for name, histogram in EXEMPLAR_HISTOGRAMS.items():
        drawn = 0
        for panel in iter_panels(dashboards[name]):
            targets = panel.get("targets", [])
            reading = [t for t in targets if histogram in t.get("expr", "")]
            asking = [t for t in targets if t.get("exemplar")]
            if not reading or panel["type"] == "stat":
                assert not asking, f"{name}: {panel['title']} has no exemplars to show"
                continue
            # Once per panel: each quantile of the same buckets would draw the same points.
            assert len(asking) == 1 and asking[0] in reading, f"{name}: {panel['title']}"
            assert "exemplars" in panel["description"], panel["title"]
            drawn += 1
        assert drawn >= (3 if name == "api" else 1), name
    for name, dashboard in dashboards.items():
        if name not in EXEMPLAR_HISTOGRAMS:
            assert not any(
                t.get("exemplar") for p in iter_panels(dashboard) for t in p.get("targets", [])
            ), name


def grafana_expand(value: str) -> str:
    """What Grafana's provisioning does with a value: `$$` is a literal `$`; in between, Go's
    os.ExpandEnv reads `$NAME` and `${...}` as environment variables, empty when unset."""

    def substitute(match: re.Match[str]) -> str:
        return ENV.get(match.group(1) or match.group(2), "")

    parts = value.split("$$")
    return "$".join(re.sub(r"\$\{([^}]*)\}|\$(\w+)", substitute, part) for part in parts)


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def logs_link(url: str, dashboards: dict) -> dict[str, str]:
    """The variables a link sets, after checking it opens the generated Logs dashboard."""
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc, f"{url}: relative, whatever Grafana's address"
    match = re.fullmatch(r"/d/([\w-]+)/[\w-]+", parts.path)
    assert match and match.group(1) == dashboards["logs"]["uid"] == logs.UID, url
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    assert "${__url_time_range}" in params, f"{url}: the time range shown goes along"
    textboxes = {
        v["name"] for v in dashboards["logs"]["templating"]["list"] if v["type"] == "textbox"
    }
    set_here = {
        key.removeprefix("var-"): value for key, value in params.items() if key.startswith("var-")
    }
    assert set(set_here) <= textboxes, url
    return set_here


def structured_metadata_keys() -> set[str]:
    keys: set[str] = set()
    for path in COLLECTORS:
        text = strip_comments(path.read_text())
        for body in re.findall(r"stage\.structured_metadata\s*\{(.*?)\}\s*\}", text, re.S):
            keys |= set(re.findall(r"(\w+)\s*=", body)) - {"values"}
    return keys


def test_an_exemplars_request_id_opens_the_logs_dashboard_on_that_request(datasources, dashboards):
    destinations = datasources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    by_label = {d["name"]: d for d in destinations}
    assert set(by_label) == {"request_id", "trace_id"}  # the exemplar labels (docs/metrics.md)
    for destination in destinations:
        assert "datasourceUid" not in destination  # that would ask a tracing data source
        url = grafana_expand(destination["url"])
        assert logs_link(url, dashboards) == {logs.REQUEST_ID: "${__value.raw}"}
    assert by_label["request_id"]["urlDisplayLabel"] == "Logs of this request"


def test_a_log_lines_request_and_trace_id_link_back_to_the_logs_dashboard(datasources, dashboards):
    fields = datasources["loki"]["jsonData"]["derivedFields"]
    assert {f["name"] for f in fields} == {"request_id", "trace_id"}
    for field in fields:
        # A label-type field reads the structured metadata the collector attaches.
        assert field["matcherType"] == "label"
        assert field["matcherRegex"] in structured_metadata_keys(), field
        assert "datasourceUid" not in field
        url = grafana_expand(field["url"])
        assert logs_link(url, dashboards) == {logs.REQUEST_ID: "${__value.raw}"}
        assert field["urlDisplayLabel"]


def test_every_grafana_macro_in_the_provisioning_is_escaped_from_env_expansion():
    """A `${__value.raw}` written without `$$` would reach Grafana as an empty string."""
    for value in _strings(yaml.safe_load(DATASOURCES.read_text())):
        for part in value.split("$$"):
            for match in re.finditer(r"\$\{([^}]*)\}|\$(\w+)", part):
                name = match.group(1) or match.group(2)
                assert name in ENV, f"{value}: {match.group()} is read from the environment"
    assert grafana_expand("a $${__value.raw}&$${__url_time_range} $PROMETHEUS_URL ${__x}") == (
        "a ${__value.raw}&${__url_time_range} http://prometheus:9090 "
    )

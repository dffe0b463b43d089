"""What sentimon asks of Prometheus means the same on Prometheus 2.42 (Debian's, which every
test runs) and on 3.x (Compose's image): the items of docs/compose.md#prometheus-3 that a
static check can hold. The promtool cases are in deploy/prometheus/tests: slo.yml (no
sample on a window's left edge) and model_quality.yml (a whole-number `le`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from promql import go_float, label_matchers, prometheus3_bound

from sentimon.console.charts import CHARTS, RANGES
from sentimon.demo.command import FAST
from sentimon.durations import seconds as duration_seconds
from sentimon.observability.http_metrics import HttpMetrics
from sentimon.observability.metrics import ServiceMetrics
from sentimon.stack.render import scale_rules

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
DATASOURCES = ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "datasources.yml"

# A rate needs two samples; a window of four scrape intervals holds four on Prometheus 3
# (left-open) and four or five on Prometheus 2, so one failed scrape still leaves three.
# Grafana's $__rate_interval keeps the same margin.
MIN_SCRAPES = 4
# The test profiles' time scales, all with 1 s scrapes: `sentimon demo --fast` (20) and the
# end-to-end drills of tests/e2e (20 and 60).
PROFILE_SCALES = (FAST["time_scale"], 60)
PROFILE_SCRAPE_SECONDS = 1
# Whole numbers up to here, and powers of ten, probe whether an `le` regex matches a bound
# in both the form Prometheus 2 keeps from a Go client ("1") and Prometheus 3's ("1.0").
_PROBES = [float(n) for n in range(1001)] + [10.0**k for k in range(-6, 10)]
# Scrape and global fields that 2.42 refuses to load ("field ... not found"): newer ones
# Prometheus 3 knows, and scrape_classic_histograms, which it renamed.
NOT_ON_2_42 = {
    "fallback_scrape_protocol",
    "scrape_protocols",
    "metric_name_validation_scheme",
    "metric_name_escaping_scheme",
    "always_scrape_classic_histograms",
    "scrape_classic_histograms",
    "scrape_native_histograms",
    "convert_classic_histograms_to_nhcb",
}
_WINDOW = re.compile(r"\[((?:\d+(?:ms|[smhdwy]))+)(?::[^\]]*)?\]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _rule_exprs(documents: list[dict] | None = None) -> list[str]:
    if documents is None:
        documents = [yaml.safe_load(path.read_text()) for path in RULES]
    return [rule["expr"] for doc in documents for g in doc["groups"] for rule in g["rules"]]


def _dashboard_exprs() -> list[str]:
    """Every query of the committed dashboards (generated; a test keeps them current)."""
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                found.append(node["expr"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in DASHBOARDS:
        walk(json.loads(path.read_text()))
    return found


def _console_exprs() -> list[str]:
    return [query.expr for chart in CHARTS for query in chart.queries()]


def _every_expr() -> list[str]:
    return _rule_exprs() + _dashboard_exprs() + _console_exprs()


def _exported_bounds() -> dict[str, set[str]]:
    """Each histogram the service exports -> the `le` values its /metrics writes."""
    registry = CollectorRegistry()
    ServiceMetrics(registry).model.bind(model="m", version="1", device="cpu")
    HttpMetrics(registry).observe(("/predict", "POST", "200"), 0.01, 100, 100)
    families = text_string_to_metric_families(generate_latest(registry).decode())
    return {
        family.name: {s.labels["le"] for s in family.samples if s.name.endswith("_bucket")}
        for family in families
        if family.type == "histogram"
    }


def _histogram(series: str) -> str:
    """The histogram a series or its recording reads: `a:b_bucket:c` and `b_bucket` -> `b`."""
    name = series.split(":")[1] if series.count(":") == 2 else series
    return name.removesuffix("_bucket")


def _both_versions_problem(series: str, operator: str, value: str, exported) -> str | None:
    """Why a matcher on `le` (or `quantile`) finds other series on Prometheus 2 than on 3."""
    histogram = _histogram(series)
    if operator in {"=", "!="}:
        if histogram in exported:
            if value not in exported[histogram]:
                return f"{value!r} is no bound sentimon's {histogram} writes"
            return None
        bound = float(value)  # "+Inf" included
        if prometheus3_bound(bound) != value:
            return f"Prometheus 3 stores {value!r} as {prometheus3_bound(bound)!r}"
        if go_float(bound) != value:
            return f"Prometheus 2 keeps a Go client's {go_float(bound)!r}: match both with a regex"
        return None
    for probe in _PROBES:
        old, new = go_float(probe), prometheus3_bound(probe)
        if bool(re.fullmatch(value, old)) != bool(re.fullmatch(value, new)):
            return f"{value!r} tells {old!r} (Prometheus 2) from {new!r} (Prometheus 3)"
    return None


# ---- le and quantile: Prometheus 3 stores them normalised ---------------------------


@pytest.mark.parametrize(
    ("value", "go", "prometheus3"),
    [
        (1, "1", "1.0"),
        (10, "10", "10.0"),
        (0.25, "0.25", "0.25"),
        (0, "0", "0.0"),
        (262144, "262144", "262144.0"),
        (2097152, "2.097152e+06", "2.097152e+06"),
        (0.0001, "0.0001", "0.0001"),
        (0.000075, "7.5e-05", "7.5e-05"),
        (float("inf"), "+Inf", "+Inf"),
    ],
)
def test_bounds_are_written_as_go_and_prometheus_3_write_them(value, go, prometheus3):
    assert go_float(value) == go
    assert prometheus3_bound(value) == prometheus3


def test_the_service_writes_every_bound_as_prometheus_3_stores_it():
    """prometheus_client already writes "1.0": Prometheus 2 and 3 store the same label."""
    exported = _exported_bounds()
    assert {"http_request_duration_seconds", "model_input_tokens", "model_confidence"} <= set(
        exported
    )
    whole = {b for bounds in exported.values() for b in bounds if b.endswith(".0")}
    assert {"1.0", "10.0", "256.0"} <= whole  # the bounds the migration guide warns about
    for histogram, bounds in exported.items():
        for bound in bounds:
            assert bound == prometheus3_bound(float(bound)), (histogram, bound)


def test_every_le_and_quantile_matcher_finds_the_same_series_on_both_versions():
    exported = _exported_bounds()
    matchers = [
        matcher
        for expr in _every_expr()
        for label in ("le", "quantile")
        for matcher in label_matchers(expr, label)
    ]
    assert ("model_input_tokens_bucket", "=", "1.0") in matchers  # the check reaches the rules
    problems = {m: _both_versions_problem(*m, exported) for m in set(matchers)}
    assert not {m: p for m, p in problems.items() if p}


@pytest.mark.parametrize(
    ("matcher", "safe"),
    [
        (("http_request_duration_seconds_bucket", "=", "1.0"), True),
        (("sentimon:http_request_duration_seconds_bucket:rate5m", "=", "10.0"), True),
        (("http_request_duration_seconds_bucket", "=", "1"), False),  # matches nothing on either
        (("node_disk_io_time_bucket", "=", "0.5"), True),
        (("node_disk_io_time_bucket", "=", "1"), False),  # gone on Prometheus 3
        (("node_disk_io_time_bucket", "=", "1.0"), False),  # never there on Prometheus 2
        (("node_disk_io_time_bucket", "=~", r"1(\.0)?"), True),
        (("node_disk_io_time_bucket", "=~", "1"), False),
    ],
)
def test_the_matcher_check_tells_safe_from_unsafe(matcher, safe):
    assert (_both_versions_problem(*matcher, _exported_bounds()) is None) == safe


# ---- left-open range selectors: a window holds one sample fewer ----------------------


def test_every_rule_window_holds_enough_scrapes_on_prometheus_3():
    scrape = duration_seconds(yaml.safe_load(CONFIG.read_text())["global"]["scrape_interval"])
    windows = {w for expr in _rule_exprs() for w in _WINDOW.findall(expr)}
    assert windows, "no range selector found"
    for window in windows:
        assert duration_seconds(window) >= MIN_SCRAPES * scrape, window
    for scale in PROFILE_SCALES:
        scaled = [scale_rules(yaml.safe_load(path.read_text()), scale) for path in RULES]
        for expr in _rule_exprs(scaled):
            for window in _WINDOW.findall(expr):
                shortest = MIN_SCRAPES * PROFILE_SCRAPE_SECONDS
                assert duration_seconds(window) >= shortest, (scale, window)


def test_dashboard_and_console_windows_hold_enough_scrapes_on_prometheus_3():
    """Dashboards take $__rate_interval (tests/deploy/test_dashboards.py), which Grafana makes
    at least four times the data source's scrape interval; the console does the same."""
    scrape = yaml.safe_load(CONFIG.read_text())["global"]["scrape_interval"]
    datasources = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    prometheus = next(ds for ds in datasources if ds["uid"] == "prometheus")
    assert prometheus["jsonData"]["timeInterval"] == scrape
    for time_range in RANGES.values():
        for seconds in (duration_seconds(scrape), PROFILE_SCRAPE_SECONDS):
            assert time_range.window_seconds(seconds) >= MIN_SCRAPES * seconds, time_range


# ---- functions, modifiers, fields and APIs one of the two does not have --------------


def test_no_query_needs_a_feature_flag_or_a_function_prometheus_3_dropped():
    """`@` and negative offsets need --enable-feature on 2.42 (which `stack up` does not pass;
    promtool accepts them all the same); holt_winters is gone from 3 without a flag."""
    for expr in _every_expr():
        code = _STRING.sub('""', expr)
        assert "@" not in code, expr
        assert not re.search(r"\boffset\s*-", code), expr
        assert not re.search(r"\bholt_winters\s*\(", code), expr


def test_prometheus_yml_loads_on_both_versions():
    """2.42 refuses a field it does not know (fallback_scrape_protocol among them); 3 speaks
    only Alertmanager's API v2. docs/compose.md#prometheus-3 says why no fallback is needed."""
    config = yaml.safe_load(CONFIG.read_text())

    def keys(node) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for value in node.values() for k in keys(value)}
        if isinstance(node, list):
            return {k for value in node for k in keys(value)}
        return set()

    assert not keys(config) & NOT_ON_2_42
    for alertmanager in config["alerting"]["alertmanagers"]:
        assert alertmanager.get("api_version", "v2") == "v2"

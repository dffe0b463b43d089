"""The generated Grafana dashboards: committed JSON, datasources, metric names, PromQL."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from promql import documented_metrics, metric_names

pytest.importorskip(
    "grafana_foundation_sdk",
    reason="grafana-foundation-sdk is not installed (the dev extra): dashboards not generated",
)

from sentimon.queries.rule_source import alert_lines
from sentimon_generate.dashboards import (
    DASHBOARDS,
    build_json,
    logql_queries,
    promql_queries,
)
from sentimon_generate.dashboards.generate import iter_panels, iter_targets

ROOT = Path(__file__).resolve().parents[2]
DATASOURCES = ROOT / "deploy/grafana/provisioning/datasources/datasources.yml"
PROVIDERS = ROOT / "deploy/grafana/provisioning/dashboards/dashboards.yml"
DASHBOARDS_DOC = ROOT / "docs/dashboards.md"

# Metrics the dashboards read that sentimon does not expose: each from a named exporter.
EXTERNAL_METRICS = {
    # node_exporter
    "node_cpu_seconds_total",
    "node_load1",
    "node_load5",
    "node_load15",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
    "node_disk_read_bytes_total",
    "node_disk_written_bytes_total",
    "node_disk_io_time_seconds_total",
    "node_disk_reads_completed_total",
    "node_disk_writes_completed_total",
    "node_memory_Buffers_bytes",
    "node_memory_Cached_bytes",
    "node_memory_SReclaimable_bytes",
    "node_memory_SwapTotal_bytes",
    "node_memory_SwapFree_bytes",
    "node_filesystem_files",
    "node_filesystem_files_free",
    "node_network_receive_bytes_total",
    "node_network_transmit_bytes_total",
    "node_network_receive_packets_total",
    "node_network_transmit_packets_total",
    "node_network_receive_errs_total",
    "node_network_transmit_errs_total",
    "node_network_receive_drop_total",
    "node_network_transmit_drop_total",
    "node_uname_info",
    # Prometheus itself (scrape bookkeeping, alerts, rule evaluation, notifier)
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "ALERTS",
    "prometheus_rule_evaluation_failures_total",
    "prometheus_notifications_dropped_total",
    "prometheus_notifications_alertmanagers_discovered",
    # Alertmanager
    "alertmanager_notifications_total",
    "alertmanager_notifications_failed_total",
    # dcgm-exporter (Compose gpu profile)
    "DCGM_FI_DEV_GPU_UTIL",
}


def layout_entries(dashboard: dict) -> set[str]:
    """`#### row` for each row and `row: panel` for each panel, as the docs list them."""
    entries = set()
    row = "(above the rows)"
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            row = panel["title"]
            entries.add(f"#### {row}")
            entries |= {f"{row}: {inner['title']}" for inner in panel.get("panels", [])}
        else:
            entries.add(f"{row}: {panel['title']}")
    return entries


def documented_layouts() -> dict[str, set[str]]:
    """Per dashboard section of docs/dashboards.md: its `####` rows and `- **panel**` bullets."""
    layouts: dict[str, set[str]] = {}
    name = row = None
    for line in DASHBOARDS_DOC.read_text().splitlines():
        if line.startswith(("# ", "## ")):
            name = None
        elif section := re.match(r"### .*\(`sentimon-(\w+)`\)$", line):
            name, row = section.group(1), "(above the rows)"
            layouts[name] = set()
        elif name and line.startswith("#### "):
            row = line.removeprefix("#### ").strip()
            layouts[name].add(f"#### {row}")
        elif name and (bullet := re.match(r"- \*\*(.+?)\*\*", line)):
            layouts[name].add(f"{row}: {bullet.group(1)}")
    return layouts


def provisioned_uids() -> dict[str, str]:
    config = yaml.safe_load(DATASOURCES.read_text())
    return {ds["uid"]: ds["type"] for ds in config["datasources"]}


@pytest.fixture(scope="module")
def dashboards() -> dict[str, dict]:
    return {name: build_json(name) for name in DASHBOARDS}


def test_every_dashboard_has_stable_uid_title_tag_and_links(dashboards):
    uids = [d["uid"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids)
    for name, dashboard in dashboards.items():
        assert dashboard["uid"] == f"sentimon-{name}"
        assert dashboard["title"].startswith("sentimon / ")
        assert "sentimon" in dashboard["tags"]
        links = [link for link in dashboard["links"] if link["type"] == "dashboards"]
        assert links and links[0]["tags"] == ["sentimon"], f"{name}: no link to the others"


def test_overview_lists_every_dashboard(dashboards):
    lists = [p for p in iter_panels(dashboards["overview"]) if p["type"] == "dashlist"]
    assert lists and lists[0]["options"]["tags"] == ["sentimon"]


def test_panel_ids_are_unique_and_panels_fit_the_grid(dashboards):
    for name, dashboard in dashboards.items():
        ids = [panel["id"] for panel in iter_panels(dashboard)]
        assert len(set(ids)) == len(ids), name
        for panel in iter_panels(dashboard):
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, f"{name}: {panel.get('title')}"


def test_docs_list_every_row_and_panel_of_every_dashboard(dashboards):
    documented = documented_layouts()
    assert set(documented) == set(dashboards), "one docs/dashboards.md section per dashboard"
    for name, dashboard in dashboards.items():
        generated = layout_entries(dashboard)
        missing = sorted(generated - documented[name])
        stale = sorted(documented[name] - generated)
        assert not missing, f"docs/dashboards.md, {name}: not listed: {missing}"
        assert not stale, f"docs/dashboards.md, {name}: listed but not generated: {stale}"


def test_layout_entries_take_rows_as_headings_and_look_inside_collapsed_rows():
    dashboard = {
        "panels": [
            {"type": "dashlist", "title": "list"},
            {"type": "row", "title": "Now", "panels": []},
            {"type": "stat", "title": "Requests / s"},
            {"type": "row", "title": "GPU", "panels": [{"type": "timeseries", "title": "power"}]},
        ]
    }
    assert layout_entries(dashboard) == {
        "(above the rows): list",
        "#### Now",
        "Now: Requests / s",
        "#### GPU",
        "GPU: power",
    }


def test_every_query_uses_a_provisioned_datasource(dashboards):
    uids = provisioned_uids()
    for name, dashboard in dashboards.items():
        for panel, target in iter_targets(dashboard):
            ref = target.get("datasource") or panel.get("datasource")
            assert ref, f"{name}: {panel['title']} has no datasource"
            assert ref["uid"] in uids, f"{name}: {panel['title']} uses {ref['uid']}"
            assert ref["type"] == uids[ref["uid"]]
        for variable in dashboard["templating"]["list"]:
            if "datasource" in variable:
                assert variable["datasource"]["uid"] in uids


def test_rates_use_rate_interval_totals_use_the_range_and_log_counts_use_interval(dashboards):
    for name, dashboard in dashboards.items():
        for panel, target in iter_targets(dashboard):
            # Label values are regexes, whose [...] are character classes, not windows.
            windows = re.findall(r"\[([^\]]+)\]", re.sub(r'"[^"]*"', '""', target["expr"]))
            if (target.get("datasource") or panel["datasource"])["uid"] == "loki":
                allowed = {"$__interval"}
            elif target.get("instant"):
                # One value for the whole time picked (the confusion matrix), or a rate now.
                allowed = {"$__range", "$__rate_interval"}
            else:
                allowed = {"$__rate_interval"}
            assert set(windows) <= allowed, f"{name}: {panel['title']}: {target['expr']}"


def _recorded() -> set[str]:
    """Series the rule files record (the model-quality panels read those)."""
    rules = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules"
    return {
        rule["record"]
        for path in rules.glob("*.yml")
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }


def row_panels(dashboard: dict, title: str) -> list[dict]:
    """The panels under one row header, open or collapsed."""
    panels, current = [], None
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            current = panel["title"]
            if current == title:
                panels += panel.get("panels", [])
        elif current == title:
            panels.append(panel)
    return panels


def panel_reading(panels: list[dict], series: str) -> dict:
    """The one panel whose queries read `series`."""
    found = [p for p in panels if any(series in t["expr"] for t in p.get("targets", []))]
    assert len(found) == 1, f"{len(found)} panels read {series}"
    return found[0]


def threshold_constant(name: str) -> float:
    """`sentimon:threshold:<name>` as thresholds.yml writes it, read here independently."""
    path = ROOT / "deploy/prometheus/rules/thresholds.yml"
    (expr,) = [
        rule["expr"]
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if rule.get("record") == f"sentimon:threshold:{name}"
    ]
    return float(re.fullmatch(r"vector\(([0-9.]+)\)", expr.strip()).group(1))


@pytest.fixture(scope="module")
def quality(dashboards) -> list[dict]:
    panels = row_panels(dashboards["model"], "Quality")
    assert panels, "the Model dashboard has no Quality row"
    return panels


def test_accuracy_panel_draws_real_estimated_and_tested_with_the_alert_line(quality):
    panel = panel_reading(quality, "sentimon:model_accuracy:feedback")
    exprs = [t["expr"] for t in panel["targets"]]
    assert any("sentimon:model_accuracy:estimated" in e for e in exprs), exprs
    assert any("sentimon:model_accuracy:card_test" in e for e in exprs), exprs
    real = next(t for t in panel["targets"] if "model_accuracy:feedback" in t["expr"])
    assert "{{version}}" in real["legendFormat"]  # the recording is per model version
    defaults = panel["fieldConfig"]["defaults"]
    assert defaults["unit"] == "percentunit" and defaults["max"] == 1
    # Red below ModelAccuracyLow's threshold, drawn as a line.
    assert defaults["thresholds"]["steps"] == [
        {"color": "red", "value": None},
        {"color": "green", "value": threshold_constant("accuracy")},
    ]
    assert defaults["custom"]["thresholdsStyle"]["mode"].startswith("line")


def test_confusion_matrix_is_true_label_by_predicted_label_over_the_time_range(quality):
    (matrix,) = [
        p
        for p in quality
        if any(t["id"] == "groupingToMatrix" for t in p.get("transformations", []))
    ]
    assert matrix["type"] == "table"
    (target,) = matrix["targets"]  # groupingToMatrix takes a single frame
    assert target["instant"] is True and target["format"] == "table"
    query = re.fullmatch(
        r"sum by \(([\w, ]+)\) \(increase\(model_feedback_total\{([^}]*)\}\[\$__range\]\)\)",
        target["expr"],
    )
    assert query, target["expr"]
    assert {label.strip() for label in query.group(1).split(",")} == {
        "true_label",
        "predicted_label",
    }
    assert 'instance=~"$instance"' in query.group(2) and 'model=~"$model"' in query.group(2)

    steps = matrix["transformations"]
    at = [t["id"] for t in steps].index("groupingToMatrix")
    assert steps[at]["options"] == {
        "rowField": "true_label",
        "columnField": "predicted_label",
        "valueField": "Value",
        "emptyValue": "zero",  # a pair nobody reported is 0, not a blank
    }
    # Nothing before the matrix may drop the Value column it reads.
    for step in steps[:at]:
        assert "Value" not in step["options"].get("excludeByName", {}), step
    # Columns, then rows, in label order (groupingToMatrix keeps the order it meets them).
    assert steps[at - 1] == {"id": "sortBy", "options": {"sort": [{"field": "predicted_label"}]}}
    assert steps[at + 1]["id"] == "sortBy"
    assert steps[at + 1]["options"]["sort"][0]["field"] == "true_label\\predicted_label"


def test_quality_row_shows_recall_coverage_and_refused_feedback(quality):
    recall = panel_reading(quality, "sentimon_class:model_recall:feedback")
    assert "{{true_label}}" in recall["targets"][0]["legendFormat"]
    assert recall["fieldConfig"]["defaults"]["unit"] == "percentunit"

    coverage = panel_reading(quality, "sentimon:model_feedback:coverage")
    assert coverage["fieldConfig"]["defaults"]["unit"] == "percentunit"

    flow = panel_reading(quality, "model_feedback_rejected_total")
    by_expr = {t["expr"]: t.get("legendFormat", "") for t in flow["targets"]}
    refused = next(e for e in by_expr if "model_feedback_rejected_total" in e)
    assert refused.startswith("sum by (reason) (rate(") and "{{reason}}" in by_expr[refused]
    assert any(e.startswith("sum(rate(model_feedback_total{") for e in by_expr), by_expr


def test_every_quality_panel_says_what_it_shows(quality):
    assert len(quality) >= 7
    for panel in quality:
        assert len(panel.get("description", "")) > 40, panel["title"]


def test_every_metric_is_documented_or_from_a_known_exporter(dashboards):
    allowed = documented_metrics() | EXTERNAL_METRICS | _recorded()
    assert "model_confidence_bucket" in allowed  # the doc was parsed
    used: set[str] = set()
    for exprs in promql_queries().values():
        for expr in exprs:
            used |= metric_names(expr)
    for dashboard in dashboards.values():
        for variable in dashboard["templating"]["list"]:
            query = variable.get("query")
            on_prometheus = variable.get("datasource", {}).get("uid") == "prometheus"
            if on_prometheus and isinstance(query, str) and query.startswith("label_values("):
                # the series selector: all but the last argument (its matchers hold commas)
                used |= metric_names(query.removeprefix("label_values(").rsplit(",", 1)[0])
    assert used - allowed == set()
    assert used & documented_metrics(), "no sentimon metric used at all"


def test_metric_name_extraction():
    expr = (
        "histogram_quantile(0.95, sum by (le, handler) (rate(http_request_duration_seconds_bucket"
        '{instance=~".*", status=~"5.."}[1m]))) / on (instance) group_left count(up == 0)'
    )
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "up"}


def test_promql_queries_are_concrete_and_cover_every_prometheus_panel():
    queries = promql_queries()
    assert set(queries) == set(DASHBOARDS)  # every dashboard has a Prometheus panel
    for exprs in queries.values():
        for expr in exprs:
            assert "$" not in expr, expr
    assert (
        'rate(http_requests_total{job="sentimon", instance=~".*", handler=~".*"}[1m])'
        in " ".join(queries["api"])
    )


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_every_promql_expression_parses(tmp_path):
    rules = {
        "groups": [
            {
                "name": f"dashboard_{name}",
                "rules": [
                    {"record": f"dashboard:{name}:query{i}", "expr": expr}
                    for i, expr in enumerate(exprs)
                ],
            }
            for name, exprs in promql_queries().items()
        ]
    }
    path = tmp_path / "dashboard_queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_logql_selects_sentimon_streams_by_label():
    queries = logql_queries()["logs"]
    assert any('stream="stderr"' in q for q in queries)
    assert any('job="syslog"' in q.split("}")[0] for q in queries)
    for expr in queries:
        assert expr.count("{") >= 1 and "request_id=" not in expr.split("}")[0]


def test_host_panels_colour_at_the_host_alerts_warning_and_critical(dashboards):
    lines = alert_lines()
    expected = {
        ("overview", "Host CPU busy"): (lines.cpu_busy_warning, lines.cpu_busy),
        ("overview", "Host memory used"): (lines.memory_used_warning, lines.memory_used),
        ("overview", "Fullest filesystem"): (lines.disk_used_warning, lines.disk_used),
        ("server", "CPU busy"): (lines.cpu_busy_warning, lines.cpu_busy),
        ("server", "Memory used"): (lines.memory_used_warning, lines.memory_used),
        ("server", "Fullest filesystem"): (lines.disk_used_warning, lines.disk_used),
    }
    assert lines.cpu_busy_warning < lines.cpu_busy
    for (name, title), (warn, critical) in expected.items():
        panel = next(p for p in iter_panels(dashboards[name]) if p["title"] == title)
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert steps == [
            {"color": "green", "value": None},
            {"color": "orange", "value": warn},
            {"color": "red", "value": critical},
        ], (name, title)


def test_overview_puts_the_hosts_beside_the_firing_alerts(dashboards):
    panels = {p["title"]: p for p in iter_panels(dashboards["overview"])}
    alerts = panels["Firing alerts"]["gridPos"]
    assert alerts["w"] == 12
    gauges = [panels[t] for t in ("Host CPU busy", "Host memory used", "Fullest filesystem")]
    assert [g["type"] for g in gauges] == ["gauge"] * 3
    assert [(g["gridPos"]["x"], g["gridPos"]["y"]) for g in gauges] == [
        (12, alerts["y"]),
        (16, alerts["y"]),
        (20, alerts["y"]),
    ]


def test_gpu_row_is_collapsed_and_says_no_gpu(dashboards):
    rows = [p for p in dashboards["server"]["panels"] if p["type"] == "row"]
    gpu = next(row for row in rows if row["title"] == "GPU")
    assert gpu["collapsed"] is True
    exprs = " ".join(t["expr"] for p in gpu["panels"] for t in p["targets"])
    for metric in ("gpu_utilization_ratio", "gpu_memory_used_bytes", "DCGM_FI_DEV_GPU_UTIL"):
        assert metric in exprs
    assert all(p["fieldConfig"]["defaults"].get("noValue") for p in gpu["panels"])


def test_datasources_are_provisioned_from_the_environment():
    config = yaml.safe_load(DATASOURCES.read_text())
    by_uid = {ds["uid"]: ds for ds in config["datasources"]}
    assert set(by_uid) == {"prometheus", "loki", "alertmanager"}
    assert by_uid["prometheus"]["url"] == "${PROMETHEUS_URL}"
    assert by_uid["loki"]["url"] == "${LOKI_URL}"
    assert by_uid["alertmanager"]["url"] == "${ALERTMANAGER_URL}"
    assert by_uid["alertmanager"]["jsonData"]["implementation"] == "prometheus"
    assert sum(bool(ds.get("isDefault")) for ds in config["datasources"]) == 1


def test_dashboard_provider_reads_the_generated_directory():
    config = yaml.safe_load(PROVIDERS.read_text())
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    assert provider["folder"] == "sentimon"
    assert provider["allowUiUpdates"] is False
    assert provider["options"]["path"] == "${GRAFANA_DASHBOARDS_DIR}"

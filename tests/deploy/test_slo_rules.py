"""rules/slo.yml: generated from deploy/slo/slos.yml, with the workbook's arithmetic."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from sentimon.observability.metrics import HTTP_SECONDS_BUCKETS
from sentimon.stack.render import scale_rules
from sentimon_generate.slo.rules import render_rules
from sentimon_generate.slo.spec import SpecError, load_spec, parse_spec, spec_file
from sentimon_generate.slo.write import is_current, render_file, rules_file

WORKBOOK_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]


@pytest.fixture(scope="module")
def document() -> dict:
    return yaml.safe_load(spec_file().read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    return yaml.safe_load(rules_file().read_text(encoding="utf-8"))["groups"][0]["rules"]


def test_committed_rules_are_what_the_spec_gives():
    assert is_current(rules_file(), load_spec()), "stale: run make generate"


def test_a_changed_objective_makes_the_committed_rules_stale(document, tmp_path):
    changed = copy.deepcopy(document)
    changed["slos"][0]["objective"] = 0.995
    spec = parse_spec(changed)
    assert not is_current(rules_file(), spec)
    path = tmp_path / "slo.yml"
    path.write_text(render_file(spec), encoding="utf-8")
    assert is_current(path, spec)
    assert "vector(0.005)" in path.read_text()


def test_burn_rate_thresholds_are_the_workbooks_for_30_days():
    spec = load_spec()
    assert [(c.long, c.short, c.factor("30d")) for c in spec.page] == [
        ("1h", "5m", 14.4),
        ("6h", "30m", 6.0),
    ]
    assert [(c.long, c.short, c.factor("30d")) for c in spec.ticket] == [
        ("1d", "2h", 3.0),
        ("3d", "6h", 1.0),
    ]
    # The same share of budget over a 28-day window burns at a lower rate.
    assert spec.page[0].factor("28d") == pytest.approx(13.44)


def test_every_slo_has_a_ratio_at_every_window_and_its_budget(rules):
    for name in ("availability", "latency"):
        records = {r["record"] for r in rules if "record" in r and r["labels"]["slo"] == name}
        for window in [*WORKBOOK_WINDOWS, "30d"]:
            assert f"sentimon:slo_errors:ratio_rate{window}" in records, (name, window)
        assert {
            "sentimon:slo_objective:ratio",
            "sentimon:slo_error_budget:ratio",
            "sentimon:slo_error_budget:remaining",
        } <= records


def test_alerts_come_after_the_records_they_read(rules):
    """One group evaluates in order: an alert sees this evaluation's ratios."""
    kinds = ["alert" if "alert" in rule else "record" for rule in rules]
    assert kinds == sorted(kinds, key=lambda kind: kind == "alert")


def test_page_and_ticket_share_their_labels_but_severity(rules):
    """Alertmanager's inhibition (critical mutes warning of the same alertname and job)
    then mutes the ticket while the page of the same SLO fires."""
    alerts = [rule for rule in rules if "alert" in rule]
    by_name: dict[str, dict[str, dict]] = {}
    for alert in alerts:
        by_name.setdefault(alert["alert"], {})[alert["labels"]["severity"]] = alert
    assert set(by_name) == {"AvailabilityBudgetBurn", "LatencyBudgetBurn"}
    for name, tiers in by_name.items():
        assert set(tiers) == {"critical", "warning"}, name
        page, ticket = tiers["critical"]["labels"], tiers["warning"]["labels"]
        assert {**ticket, "severity": "critical"} == page, name
        assert "[" not in tiers["critical"]["expr"], "alerts read the recorded ratios"
        assert "> 14.4" in tiers["critical"]["expr"] and "> 6" in tiers["critical"]["expr"]
        assert "> 3" in tiers["warning"]["expr"] and "> 1\n" in tiers["warning"]["expr"]


def test_the_latency_threshold_is_a_bucket_the_service_exports(document):
    latency = next(slo for slo in document["slos"] if slo["name"] == "latency")
    bounds = set(re.findall(r'le="([^"]+)"', latency["sli"]["error_query"]))
    assert len(bounds) == 1
    assert float(bounds.pop()) in HTTP_SECONDS_BUCKETS


def test_availability_leaves_client_gone_out_of_the_total(document):
    availability = next(slo for slo in document["slos"] if slo["name"] == "availability")
    assert 'status!="499"' in availability["sli"]["total_query"]
    assert 'status=~"5.."' in availability["sli"]["error_query"]


def test_the_test_profile_scales_every_window(rules):
    scaled = scale_rules({"groups": [{"name": "g", "rules": copy.deepcopy(rules)}]}, 20)
    exprs = "\n".join(rule["expr"] for rule in scaled["groups"][0]["rules"])
    assert "[1h]" not in exprs and "[30d]" not in exprs
    assert "[180000ms]" in exprs  # 1h / 20


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("version",), "sloth/v1", "version"),
        (("slos", 0, "objective"), 99.9, "objective"),
        (("slos", 0, "sli", "total_query"), "sum(rate(x[5m]))", "{{.window}}"),
        (("alerting", "page", 0, "short"), "2h", "not shorter"),
        (("slos", 0, "window"), "30 days", "duration"),
    ],
)
def test_a_malformed_spec_is_refused_with_where(document, path, value, message):
    broken = copy.deepcopy(document)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_spec(broken)


def test_an_slo_window_shorter_than_an_alert_window_is_refused(document):
    short = copy.deepcopy(document)
    short["slos"][0]["window"] = "1d"
    with pytest.raises(ValueError, match="longer than every alert window"):
        render_rules(parse_spec(short))

"""The committed benchmark results, the figures in docs/performance.md and the A/B tool agree."""

import copy
import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from compare import parse_candidate  # noqa: E402
from report import BEGIN, END, render, targets  # noqa: E402

RESULTS = json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text())


def test_the_doc_shows_the_committed_results():
    doc = (REPO / "docs" / "performance.md").read_text()
    shown = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), doc, re.S).group(1)
    assert shown == render(RESULTS)


def test_targets_are_judged_from_the_figures():
    assert targets(RESULTS) == RESULTS["targets"]
    by_name = {t["target"]: t for t in RESULTS["targets"]}
    price = by_name["(c) req/s at 8 connections ≥ 0.85x (b)"]
    variants = RESULTS["http"]["variants"]
    ratio = variants["c"]["rps_c8"] / variants["b"]["rps_c8"]
    assert price["measured"] == round(ratio, 3) and price["met"] == (ratio >= 0.85)


def test_the_memory_target_is_judged_after_the_soak():
    results = copy.deepcopy(RESULTS)
    for variant in results["http"]["variants"].values():  # after wrk's one tweet: small
        for process in variant["processes"]:
            process["rss_mb"] = 100.0
    soaked = results["http"]["soak"]["variants"]["d"]["processes"]
    next(p for p in soaked if p["role"] == "worker")["rss_mb"] = 288.0
    by_name = {t["target"]: t for t in targets(results)}
    memory = by_name["resident memory of any one worker after the soak ≤ 150 MB"]
    assert memory["measured"] == 288.0 and not memory["met"]


def test_a_candidate_names_its_source_and_settings(tmp_path):
    (tmp_path / "sentimon").mkdir()
    candidate = parse_candidate(f"before@{tmp_path},SENTIMON_ACCESS_LOG=0,SENTIMON_LOG_DIR=")
    assert candidate.name == "before"
    assert candidate.env == {
        "PYTHONPATH": str(tmp_path),
        "SENTIMON_ACCESS_LOG": "0",
        "SENTIMON_LOG_DIR": "",
    }
    assert parse_candidate("shipped").env == {}


@pytest.mark.parametrize("spec", ["x@/nonexistent", "x,NOEQUALS"])
def test_a_bad_candidate_is_refused(spec):
    with pytest.raises(SystemExit):
        parse_candidate(spec)


def test_the_targets_narrative_quotes_the_committed_results():
    doc = (REPO / "docs" / "performance.md").read_text()
    narrative = doc[doc.index("### What the targets say") : doc.index("Tried for the model")]
    narrative = " ".join(narrative.split())
    breakdown = RESULTS["breakdown"]
    cpu = breakdown["cpu_us_per_request"]
    variants = RESULTS["http"]["variants"]
    bare = variants["a"]["cpu_us_per_request_c8"]
    model = breakdown["model_in_request_us"]
    single = RESULTS["model"]["single_text"]["p50_us"]
    by_name = {t["target"]: t for t in RESULTS["targets"]}
    memory = by_name["resident memory of any one worker after the soak ≤ 150 MB"]["measured"]
    for figure in (
        f"({cpu['b_stubbed_model']:.0f} µs against {cpu['a']:.0f} µs,",
        f"costs {model:.0f} µs",
        f"({bare:.0f} µs of server CPU)",
        f"({single:.0f} µs, the model-alone table)",
        f"{bare:.0f} / ({bare:.0f} + {model:.0f}) = {bare / (bare + model):.2f}x",
        f"measures {variants['b']['rps_c8'] / variants['a']['rps_c8']:.2f}x and "
        f"{variants['b']['p50_ms_c1'] / variants['a']['p50_ms_c1']:.2f}x",
        f"a median of {RESULTS['startup']['median_s']:.2f} s",
        f"{memory:.0f} MB of 150",
    ):
        assert figure in narrative, figure

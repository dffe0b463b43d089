"""`sentimon stack`: the native stack from Debian's binaries, on free ports, really running."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import chromium
import httpx
import psutil
import pytest
import yaml
from panel_queries import (
    CORE_PANELS,
    SPECIFIED_PANELS,
    has_number,
    query_errors,
    wait_for_panel_data,
)
from servers import RSYSLOGD, NativeStack, native_stack, start_rsyslog_socket, wait_until
from typer.testing import CliRunner

from sentimon.cli import app
from sentimon.console.charts import CHARTS
from sentimon.model.artifact import default_model_dir, load_artifact
from sentimon.quality.write import is_current

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "deploy/prometheus/rules").glob("*.yml"))
# The stack needs these; without them the test cannot say anything about it.
REQUIRED = {
    "prometheus": "prometheus",
    "alertmanager": "prometheus-alertmanager",
    "node": "prometheus-node-exporter",
}
OPTIONAL = {"loki", "alloy", "grafana"}  # not in Debian: absent here, started where installed

pytestmark = pytest.mark.skipif(
    not (shutil.which("prometheus") and shutil.which("prometheus-alertmanager")),
    reason="Debian's prometheus and prometheus-alertmanager are not installed (make install-test)",
)


def _pids(stack: NativeStack) -> list[int]:
    """Every process of every component: group leaders and their children (API workers)."""
    started = json.loads((stack.state_dir / "stack.json").read_text())
    leaders = [entry["pid"] for entry in started.values()]
    return [p.pid for p in psutil.process_iter() if _group(p.pid) in leaders]


def _group(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _assert_all_gone(pids: list[int]) -> None:
    alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    assert not alive, f"left running: {[psutil.Process(p).cmdline() for p in alive]}"


@pytest.fixture(scope="module")
def syslog_daemon(tmp_path_factory):
    """A real rsyslogd on a socket of its own, standing in for the host's /dev/log."""
    if not Path(RSYSLOGD).exists():
        yield None
        return
    daemon = start_rsyslog_socket(tmp_path_factory.mktemp("rsyslog"))
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, syslog_daemon):
    """One stack for the module, with 1 s scrapes and rule evaluation so data comes fast."""
    env = {
        "SENTIMON_STACK_SCRAPE_INTERVAL": "1s",
        "SENTIMON_STACK_EVALUATION_INTERVAL": "1s",
        # The API takes SENTIMON_* from the environment: the demo stack's faults.
        "SENTIMON_FAULT_INJECTION": "true",
    }
    if syslog_daemon is not None:
        env["SENTIMON_STACK_SYSLOG_ADDRESS"] = str(syslog_daemon.socket)
    stack = native_stack(tmp_path_factory.mktemp("stack"), env=env)
    stack.env.pop("SENTIMON_SYSLOG_ADDRESS", None)  # the stack's default decides
    result = stack.up()
    assert result.returncode == 0, result.stdout + result.stderr
    stack.up_output = result.stdout
    pids = _pids(stack)
    yield stack
    result = stack.down()
    assert result.returncode == 0, result.stderr
    _assert_all_gone(pids)


def _prometheus(stack: NativeStack, path: str, **params) -> dict:
    response = httpx.get(f"{stack.url('prometheus')}{path}", params=params, timeout=10)
    response.raise_for_status()
    return response.json()["data"]


def test_up_reports_every_component_healthy_and_names_what_is_missing(stack):
    result = stack.sentimon("stack", "status", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    states = {s["name"]: s for s in json.loads(result.stdout)}
    for name in ("sentimon", "receiver", "console", *REQUIRED):
        assert states[name]["state"] == "healthy", states[name]
    assert states["sentimon"]["url"] == f"{stack.url('api')}/"
    for name in OPTIONAL:
        if shutil.which(name) is None:
            assert states[name]["state"] == "not installed"
            assert "apt-get install" in states[name]["detail"]


def test_every_prometheus_target_is_up(stack):
    def all_up():
        targets = _prometheus(stack, "/api/v1/targets")["activeTargets"]
        health = {t["labels"]["job"]: t["health"] for t in targets}
        return health if set(health.values()) == {"up"} else None

    health = wait_until(all_up, 30, "every target up", interval=0.5)
    expected = {"sentimon", "node", "prometheus", "alertmanager"}
    expected |= {name for name in OPTIONAL if shutil.which(name)}
    assert set(health) == expected


def test_every_rule_is_loaded_and_evaluates(stack):
    source = {
        group["name"]: len(group["rules"])
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
    }

    def evaluated():
        groups = _prometheus(stack, "/api/v1/rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        if any(rule.get("lastEvaluation", "").startswith("0001") for rule in rules):
            return None  # not evaluated yet
        return groups

    groups = wait_until(evaluated, 30, "every rule evaluated once", interval=0.5)
    assert {g["name"]: len(g["rules"]) for g in groups} == source
    broken = [r["name"] for g in groups for r in g["rules"] if r["health"] != "ok"]
    assert not broken, broken


def test_prometheus_sends_alerts_to_the_stack_alertmanager(stack):
    managers = _prometheus(stack, "/api/v1/alertmanagers")["activeAlertmanagers"]
    assert [m["url"] for m in managers] == [f"{stack.url('alertmanager')}/api/v2/alerts"]


def test_alertmanager_posts_to_the_stack_receiver(stack):
    rendered = yaml.safe_load(
        (stack.state_dir / "config/alertmanager/alertmanager.yml").read_text()
    )
    urls = [w["url"] for r in rendered["receivers"] for w in r.get("webhook_configs", [])]
    assert urls == [f"{stack.url('receiver')}/alerts"]
    response = httpx.get(f"{stack.url('alertmanager')}/api/v2/status", timeout=10)
    assert f"{stack.url('receiver')}/alerts" in response.json()["config"]["original"]


def test_the_api_logs_land_where_the_collector_reads_them(stack):
    httpx.post(f"{stack.url('api')}/predict", json={"text": "a lovely day"}, timeout=10)
    logs = stack.state_dir / "logs"
    wait_until(lambda: "/predict" in (logs / "sentimon.stdout.log").read_text(), 10, "stdout")
    # config.alloy globs SENTIMON_LOG_DIR and names files in SENTIMON_STDIO_LOG_DIR.
    alloy = (ROOT / "deploy/collector/config.alloy").read_text()
    for name in re.findall(
        r'"%s/([\w.*]+)", coalesce\(sys.env\("SENTIMON_(?:STDIO_)?LOG_DIR', alloy
    ):
        found = list(logs.glob(name)) + list((logs / "sentimon").glob(name))
        assert found, f"config.alloy reads {name}, which the stack does not write"


def _stdio_labels() -> tuple[re.Pattern[str], str]:
    """config.alloy's rule that reads the service off a file name, and its replacement."""
    alloy = (ROOT / "deploy/collector/config.alloy").read_text()
    relabel = alloy[alloy.index('discovery.relabel "stdio"') :]
    rule = re.search(r'regex\s*=\s*"((?:[^"\\]|\\.)*)"\s*target_label\s*=\s*"service"', relabel)
    return re.compile(json.loads(f'"{rule.group(1)}"')), "\\1"


def test_every_components_logs_land_where_the_collector_reads_them_labelled(stack):
    logs = stack.state_dir / "logs"
    pattern, service = _stdio_labels()
    found = {
        pattern.fullmatch(str(path)).expand(service)
        for glob in ("*.stdout.log", "*.stderr.log")
        for path in logs.glob(glob)
    }
    # The names Compose gives the same services (deploy/compose.yaml), the API's aside, and
    # the console, which runs natively only (Compose has Grafana).
    expected = {"sentimon", "alert-receiver", "node-exporter", "alertmanager", "prometheus"}
    expected.add("console")
    assert found == expected | {name for name in OPTIONAL if shutil.which(name)}
    compose = set(yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())["services"])
    assert found - {"sentimon", "console"} <= compose
    # Their logfmt lines carry the level the collector makes a label of.
    for name in ("prometheus", "alertmanager", "node-exporter"):
        text = (logs / f"{name}.stderr.log").read_text()
        assert re.search(r"(?m)^\S.* level=(info|INFO) ", text), f"{name}: {text[:500]}"


def test_the_api_logs_to_the_hosts_syslog_socket_by_default(stack, syslog_daemon):
    if syslog_daemon is None:
        pytest.skip("rsyslogd not installed (Debian package rsyslog; `make test` installs it)")
    assert "SENTIMON_SYSLOG_ADDRESS" not in stack.env
    assert f"syslog: the API sends WARNING and above to {syslog_daemon.socket}" in (stack.up_output)
    response = httpx.post(
        f"{stack.url('api')}/predict",
        json={"text": "a fault for syslog"},
        headers={"X-Inject-Fault": "error"},
        timeout=10,
    )
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    wait_until(lambda: request_id in syslog_daemon.text(), 15, "the 5xx lines in syslog")
    lines = [line for line in syslog_daemon.text().splitlines() if request_id in line]
    assert all(" sentimon: {" in line for line in lines), lines
    assert any('"level": "ERROR"' in line or '"level":"ERROR"' in line for line in lines), lines


def test_up_again_keeps_the_running_processes(stack):
    before = json.loads((stack.state_dir / "stack.json").read_text())
    result = stack.up()
    assert result.returncode == 0, result.stdout + result.stderr
    after = json.loads((stack.state_dir / "stack.json").read_text())
    assert {n: e["pid"] for n, e in after.items()} == {n: e["pid"] for n, e in before.items()}


# ---- the dashboards against the live Prometheus -------------------------------------


def _send_traffic(stack: NativeStack, seed: int = 1) -> dict:
    """`sentimon traffic` as a user runs it: the normal mix over /predict, /predict/batch and
    /explain with feedback, a share of bad input (4xx), then injected errors (5xx)."""
    command = [sys.executable, "-m", "sentimon", "traffic", "--url", stack.url("api"), "--json"]
    command += ["--scenario", "normal:4,errors:2", "--rps", "15", "--bad-input", "20"]
    command += ["--feedback", "30", "--seed", str(seed)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert [w for w in summary["warnings"] if "fell behind" not in w] == []
    return summary


@pytest.fixture(scope="module")
def traffic(stack) -> dict:
    """Something for every panel, once for the module; the generator's summary."""
    return _send_traffic(stack)


def _query(stack: NativeStack, expr: str) -> list[dict]:
    response = httpx.get(f"{stack.url('prometheus')}/api/v1/query", params={"query": expr})
    assert response.status_code == 200, f"{expr}\n{response.text}"
    return response.json()["data"]["result"]


def _exemplars(stack: NativeStack, metric: str) -> list[dict]:
    """The exemplars Prometheus keeps on a histogram's buckets over the last 10 minutes."""
    now = time.time()
    response = httpx.get(
        f"{stack.url('prometheus')}/api/v1/query_exemplars",
        params={"query": f'{metric}_bucket{{job="sentimon"}}', "start": now - 600, "end": now},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return [e for series in response.json()["data"] for e in series["exemplars"]]


@pytest.mark.parametrize(
    "metric", ["http_request_duration_seconds", "model_inference_duration_seconds"]
)
def test_prometheus_keeps_the_request_ids_of_both_histograms(stack, traffic, metric):
    """Scraped in OpenMetrics (exemplar storage on), each exemplar names a request whose
    log lines are in the API's log file."""
    exemplars = wait_until(
        lambda: _exemplars(stack, metric), 60, f"exemplars of {metric} in Prometheus", 2
    )
    request_id = exemplars[-1]["labels"]["request_id"]
    # `sentimon logs` finds them where the stack writes them.
    shown = subprocess.run(
        [sys.executable, "-m", "sentimon", "logs", "--request-id", request_id, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**stack.env, "SENTIMON_LOG_DIR": str(stack.state_dir / "logs" / "sentimon")},
    )
    assert shown.returncode == 0, shown.stderr
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    assert lines and {line["request_id"] for line in lines} == {request_id}
    assert any(line["logger"] == "sentimon.access" for line in lines)  # its access line


def test_every_dashboard_query_evaluates(stack, dashboard_queries):
    errors = query_errors(stack.url("prometheus"), dashboard_queries)
    assert not errors, errors


@pytest.mark.parametrize("panel", CORE_PANELS)
def test_core_panels_show_data_after_traffic(stack, dashboard_queries, traffic, panel):
    queries = [q for q in dashboard_queries if CORE_PANELS[panel] in q]
    assert queries, f"no dashboard query reads {CORE_PANELS[panel]}"
    wait_until(
        lambda: any(has_number(_query(stack, q)) for q in queries),
        45,
        f"data in the {panel} panel ({queries[0]})",
        interval=1,
    )


def test_every_query_of_the_specified_panels_shows_data_after_traffic(stack, dashboard_queries):
    # Fresh traffic: a mean over a 1m window of no requests is 0 / 0, not a number.
    _send_traffic(stack)
    missing = wait_for_panel_data(partial(_query, stack), dashboard_queries, SPECIFIED_PANELS)
    assert not missing, f"panels without data: {missing}"


def test_the_generators_bad_input_shows_in_the_4xx_panel_by_route(stack, dashboard_queries):
    summary = _send_traffic(stack, seed=2)
    bad = summary["total"]["bad_input"]
    assert bad["sent"] > 0 and bad["refused_4xx"] == bad["sent"]
    routes = {route for route, sent in summary["total"]["endpoints"].items() if sent["sent"]}
    (by_route,) = [q for q in dashboard_queries if SPECIFIED_PANELS["4xx by route"] in q]

    def routes_with_4xx() -> set[str]:
        return {s["metric"]["handler"] for s in _query(stack, by_route) if float(s["value"][1]) > 0}

    wait_until(lambda: routes_with_4xx(), 45, f"4xx in the panel ({by_route})", interval=1)
    # Every 4xx the panel shows is one the generator sent, on a route it sent to.
    assert routes_with_4xx() <= routes


def test_rebaseline_makes_the_live_window_the_models_reference(stack, traffic, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    rules = tmp_path / "model_quality.yml"
    predictions = 'sum(increase(model_confidence_count{job="sentimon"}[5m]))'
    wait_until(
        lambda: (
            has_number(_query(stack, predictions))
            and float(_query(stack, predictions)[0]["value"][1]) >= 40
        ),
        45,
        "the traffic's predictions in Prometheus",
        interval=1,
    )
    args = ["quality", "rebaseline", "--prometheus", stack.url("prometheus"), "--range", "5m"]
    args += ["--model-dir", str(model), "--rules", str(rules), "--min-predictions", "10"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("predicted_label", "confidence", "input_tokens", "unknown_token_ratio"):
        assert name in result.output
    shipped = load_artifact(default_model_dir()).card["reference_distributions"]
    card = load_artifact(model).card
    reference = card["reference_distributions"]
    assert reference["computed_on"].startswith("live traffic: the 5m before")
    assert card["reference_history"] == [
        {"computed_on": shipped["computed_on"], "examples": shipped["examples"]}
    ]
    assert reference["examples"] >= 40
    for name in ("confidence_histogram", "input_tokens_histogram", "unknown_token_ratio_histogram"):
        histogram = reference[name]
        assert sum(histogram["counts"]) + histogram["count_above"] == histogram["total"] > 0
    assert sum(reference["predicted_label_mix"].values()) == pytest.approx(1.0)
    # The traffic is short English feedback: its token counts sit far from the test split's.
    assert reference["input_tokens_histogram"]["counts"][-1] == 0
    assert is_current(rules, card) and not is_current(
        rules, load_artifact(default_model_dir()).card
    )


def test_rebaseline_refuses_a_window_with_too_little_traffic(stack, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    before = (model / "model_card.json").read_text()
    args = ["quality", "rebaseline", "--prometheus", stack.url("prometheus"), "--range", "5m"]
    args += ["--model-dir", str(model), "--rules", str(tmp_path / "r.yml")]
    args += ["--min-predictions", "1000000"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "a reference needs at least 1000000" in result.output
    assert (model / "model_card.json").read_text() == before
    assert not (tmp_path / "r.yml").exists()


# ---- the console against the live stack -----------------------------------------------


@pytest.fixture(scope="module")
def console_traffic(stack, traffic):
    """On top of `traffic`: enough predictions for the drift and estimated-accuracy
    recordings (drift_min_predictions) and feedback for real accuracy."""
    with httpx.Client(base_url=stack.url("api"), timeout=30) as client:
        for batch in range(5):
            texts = [f"a fine day, number {batch * 50 + i}" for i in range(50)]
            client.post("/predict/batch", json={"texts": texts}).raise_for_status()
        for i in range(20):
            result = client.post("/predict", json={"text": f"what a lovely film {i}"}).json()
            feedback = {"feedback_token": result["feedback_token"], "label": "positive"}
            client.post("/feedback", json=feedback).raise_for_status()
            if i == 0:
                # The feedback counter is born with its first feedback: let a scrape see it
                # there, or increase() has one sample of the rest and real accuracy none.
                time.sleep(3)


_DRAWN_POINTS = """
return Object.fromEntries(Object.entries(window.consoleCharts || {}).map(
  ([id, u]) => [id, u.data.slice(1).flat().filter((v) => v != null).length]));
"""


def _text_of(driver, selector: str) -> str | None:
    return driver.execute_script(
        "const found = document.querySelector(arguments[0]); return found && found.textContent;",
        selector,
    )


@pytest.mark.browser
@pytest.mark.skipif(not chromium.installed(), reason=chromium.MISSING)
def test_the_console_draws_every_chart_and_lists_a_firing_alert(stack, console_traffic, tmp_path):
    from selenium.webdriver.common.by import By

    alert = {
        "labels": {"alertname": "ConsoleCheck", "severity": "warning", "job": "console-test"},
        "annotations": {"summary": "posted to Alertmanager by the console test"},
    }
    httpx.post(f"{stack.url('alertmanager')}/api/v2/alerts", json=[alert], timeout=10)
    for record in ("feedback", "estimated"):  # the recordings that need the most traffic
        wait_until(
            lambda r=record: has_number(_query(stack, f"sentimon:model_accuracy:{r}")),
            60,
            f"sentimon:model_accuracy:{record} recorded",
            interval=1,
        )
    wanted = {chart.id for chart in CHARTS}
    driver = chromium.start_chromium(tmp_path / "chromium")
    try:
        driver.get(f"{stack.url('console')}/")

        def every_chart_drawn():
            points = driver.execute_script(_DRAWN_POINTS)
            if {chart for chart, n in points.items() if n > 0} >= wanted:
                return points
            driver.refresh()  # the page's own refresh is every 15 s
            return None

        points = wait_until(every_chart_drawn, 90, "a data point in every chart", interval=3)
        assert set(points) == wanted
        # Alerts and components are fetched side by side, so each is waited for on its own;
        # both are read in the page, so the 15 s refresh cannot leave a stale element in hand.
        alert = wait_until(
            lambda: _text_of(driver, 'li[data-alertname="ConsoleCheck"]'),
            30,
            "the posted alert in the console",
            interval=1,
        )
        assert "posted to Alertmanager by the console test" in alert
        state = wait_until(
            lambda: _text_of(driver, 'tr[data-component="prometheus"]'),
            30,
            "Prometheus in the console's component table",
            interval=1,
        )
        assert "healthy" in state
        assert not driver.find_element(By.ID, "problems").is_displayed()
        assert not chromium.console_errors(driver)  # no script error, no CSP violation
    finally:
        driver.quit()


# ---- lifecycles of their own ----------------------------------------------------------


def test_foreground_up_stops_everything_on_sigterm_api_workers_included(tmp_path):
    stack = native_stack(tmp_path / "fg", env={"SENTIMON_WORKERS": "2"})
    with open(tmp_path / "up.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sentimon", "stack", "up"],
            env=stack.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(
            lambda: b"Ctrl-C stops the stack" in (tmp_path / "up.log").read_bytes(),
            120,
            "the stack to come up",
            interval=0.5,
        )
        pids = _pids(stack)
        workers = psutil.Process(
            json.loads((stack.state_dir / "stack.json").read_text())["sentimon"]["pid"]
        )
        assert len(workers.children(recursive=True)) >= 2  # both API workers run
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, (tmp_path / "up.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            stack.down()
    _assert_all_gone(pids)
    assert not (stack.state_dir / "stack.json").exists()


def test_a_taken_port_fails_up_with_the_reason_and_leaves_nothing_running(tmp_path):
    stack = native_stack(tmp_path / "busy")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", stack.ports["prometheus"]))
        squatter.listen()
        result = stack.up()
    assert result.returncode == 1
    assert f"port {stack.ports['prometheus']} is taken" in result.stdout
    assert "SENTIMON_STACK_PROMETHEUS_PORT" in result.stdout
    started = json.loads((stack.state_dir / "stack.json").read_text())
    assert started == {}
    for port in (stack.ports["api"], stack.ports["alertmanager"]):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # free again: nothing kept it


def _time_wait_on(port: int) -> bool:
    return any(
        c.laddr and c.laddr.port == port and c.status == psutil.CONN_TIME_WAIT
        for c in psutil.net_connections("tcp")
    )


def test_down_then_up_at_once_after_a_client_kept_a_connection_open(tmp_path):
    """A browser tab or running traffic keeps a connection to the API; `stack down` closes it
    from the server's end, which waits in TIME_WAIT for a minute. `stack up` must not care."""
    stack = native_stack(tmp_path / "again")
    assert (result := stack.up()).returncode == 0, result.stdout + result.stderr
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{stack.ports['api']}") as tab:
            assert tab.get("/healthz").status_code == 200  # kept alive, as a browser does
            assert (result := stack.down()).returncode == 0, result.stderr
        assert _time_wait_on(stack.ports["api"]), "the API's end of the connection should wait"
        result = stack.up()
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        stack.down()


def test_check_passes_on_the_shipped_configs(tmp_path):
    stack = native_stack(tmp_path / "check")
    result = stack.sentimon("stack", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("promtool check config", "promtool test rules", "amtool check-config"):
        assert f"passed  {name}" in result.stdout


def test_check_fails_on_a_broken_rule(tmp_path):
    deploy = tmp_path / "deploy"
    shutil.copytree(ROOT / "deploy", deploy)
    rules = deploy / "prometheus/rules/sentimon.yml"
    rules.write_text(rules.read_text().replace("histogram_quantile(", "histogram_quantile((", 1))
    stack = native_stack(tmp_path / "check", env={"SENTIMON_STACK_DEPLOY_DIR": str(deploy)})
    result = stack.sentimon("stack", "check", "--only", "promtool check rules", "--only", "amtool")
    assert result.returncode == 1
    assert "failed  promtool check rules" in result.stdout
    assert "passed  amtool check-config" in result.stdout
    assert "promtool test rules" not in result.stdout  # not asked for


def test_check_only_names_the_checks_when_nothing_matches(tmp_path):
    stack = native_stack(tmp_path / "check")
    result = stack.sentimon("stack", "check", "--only", "no such check")
    assert result.returncode == 2
    assert "promtool check rules" in result.stderr


# Where the latency chart's newest point with data is drawn: x in CSS pixels from the
# left of uPlot's `over` element (the plotting area), which takes the clicks.
_LATEST_LATENCY_POINT = """
const u = (window.consoleCharts || {}).latency;
if (!u) return null;
const xs = u.data[0];
const box = u.over.getBoundingClientRect();
// The newest point with data, but not on the right edge, where a click falls outside the
// element (one point on, 20 s later, it is inside).
let i = xs.length - 1;
while (i >= 0 && (u.valToPos(xs[i], "x") > box.width - 1
                  || !u.data.slice(1).some((s) => s[i] != null))) i--;
if (i < 0) return null;
return { at: xs[i], x: u.valToPos(xs[i], "x"), width: box.width, height: box.height };
"""


def _request_ids_listed(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#request-list tr')].map((r) => r.dataset.requestId);"
    )


def _log_text_with(driver, wanted: str) -> str | None:
    text = _text_of(driver, "#log-lines") or ""
    return text if wanted in text else None


@pytest.mark.browser
@pytest.mark.skipif(not chromium.installed(), reason=chromium.MISSING)
def test_a_click_on_the_console_latency_chart_lists_its_requests_and_log_lines(
    stack, console_traffic, tmp_path
):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver = chromium.start_chromium(tmp_path / "chromium")
    try:
        driver.get(f"{stack.url('console')}/")

        def latest_point():
            point = driver.execute_script(_LATEST_LATENCY_POINT)
            if point is None:
                driver.refresh()  # the page's own refresh is every 15 s
            return point

        point = wait_until(latest_point, 90, "a latency point drawn", interval=3)
        over = driver.find_element(By.CSS_SELECTOR, "#chart-latency .u-over")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", over)
        # Selenium's offsets are from the element's centre.
        ActionChains(driver).move_to_element_with_offset(
            over, round(point["x"] - point["width"] / 2), 0
        ).click().perform()

        try:
            request_ids = wait_until(
                lambda: _request_ids_listed(driver), 30, "a clicked minute's requests", interval=1
            )
        except TimeoutError as error:  # say what the panel shows instead
            shown = _text_of(driver, "#requests")
            raise AssertionError(f"{error}; at {point['at']} the panel shows {shown!r}") from None
        assert 1 <= len(request_ids) <= 10
        durations = driver.execute_script(
            "return [...document.querySelectorAll('#request-list td.num')]"
            ".map((cell) => parseFloat(cell.textContent));"
        )
        assert durations == sorted(durations, reverse=True)  # the slowest first

        driver.find_element(By.CSS_SELECTOR, "#request-list tr button.show-logs").click()
        logs = wait_until(
            lambda: _log_text_with(driver, f"request_id={request_ids[0]}"),
            30,
            f"the log lines of request {request_ids[0]}",
            interval=1,
        )
        entries = [line for line in logs.splitlines() if line.startswith("20")]  # a ts first
        assert entries and all(f"request_id={request_ids[0]}" in line for line in entries), logs
        assert not chromium.console_errors(driver)
    finally:
        driver.quit()

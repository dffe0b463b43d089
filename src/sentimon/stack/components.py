"""The components of the native stack: how to find, start and probe each one."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentimon.queries.promql import JOB
from sentimon.stack.layout import Layout
from sentimon.stack.settings import LOOPBACK, StackSettings
from sentimon.stack.syslog import choose_syslog, host_syslog_file

GRAFANA_APT = "Grafana's apt repository (https://apt.grafana.com), then: sudo apt-get install"


@dataclass(frozen=True)
class Component:
    """One process of the stack."""

    name: str
    """Also its Prometheus job (targets/<job>.yml) where it has one."""
    title: str
    binaries: tuple[str, ...]
    """Names to look up on PATH, Debian's first; empty for sentimon's own Python commands."""
    install: str
    """The command that installs the binary, shown when it is missing."""
    port_setting: str
    """The StackSettings field (and SENTIMON_STACK_<FIELD>) holding its port."""
    health_path: str
    ui_path: str
    argv: Callable[[str, StackSettings, Layout], list[str]]
    """The command line, given the binary found."""
    env: Callable[[StackSettings, Layout], dict[str, str]] = lambda s, layout: {}
    job: str | None = None
    """The scrape job whose targets file `stack up` writes while this runs."""
    service: str = ""
    """Its `service` label in Loki (Compose's service name), when not its name: it names the
    files its stdout and stderr go to, which the collector labels by file name."""

    @property
    def log_name(self) -> str:
        return self.service or self.name

    def find_binary(self) -> str | None:
        if not self.binaries:
            return sys.executable
        return next(filter(None, map(shutil.which, self.binaries)), None)

    def port(self, settings: StackSettings) -> int:
        return getattr(settings, self.port_setting)

    def url(self, settings: StackSettings) -> str:
        return settings.url(self.port_setting.removesuffix("_port"))


def _listen(port: int) -> str:
    return f"{LOOPBACK}:{port}"


def _api_argv(python: str, s: StackSettings, layout: Layout) -> list[str]:
    return [python, "-m", "sentimon", "serve", "--host", LOOPBACK, "--port", str(s.api_port)]


def _api_env(s: StackSettings, layout: Layout) -> dict[str, str]:
    # Every other SENTIMON_* setting (fault injection, workers, ...) comes from the caller's
    # environment; the stack owns where the log file goes, for the collector, and keeps
    # the feedback key beside its other state unless the caller names a key file, and
    # sends syslog to the host's socket where there is one.
    key_file = os.environ.get("SENTIMON_FEEDBACK_KEY_FILE") or str(layout.root / "feedback.key")
    return {
        "SENTIMON_LOG_DIR": str(layout.api_log_dir),
        "SENTIMON_FEEDBACK_KEY_FILE": key_file,
        "SENTIMON_SYSLOG_ADDRESS": choose_syslog(s).address,
    }


def _receiver_argv(python: str, s: StackSettings, layout: Layout) -> list[str]:
    return [python, "-m", "sentimon", "alerts", "listen", "--port", str(s.receiver_port)]


def _prometheus_argv(binary: str, s: StackSettings, layout: Layout) -> list[str]:
    # No --web.enable-lifecycle or --web.enable-admin-api: file_sd needs no reload.
    return [
        binary,
        f"--config.file={layout.prometheus_config}",
        f"--storage.tsdb.path={layout.data('prometheus')}",
        f"--web.listen-address={_listen(s.prometheus_port)}",
        f"--web.external-url={s.url('prometheus')}/",
        # The request ids on the latency buckets (docs/metrics.md#exemplars); 2.42 and 3.x.
        "--enable-feature=exemplar-storage",
    ]


def _alertmanager_argv(binary: str, s: StackSettings, layout: Layout) -> list[str]:
    return [
        binary,
        f"--config.file={layout.alertmanager_config}",
        f"--storage.path={layout.data('alertmanager')}",
        f"--web.listen-address={_listen(s.alertmanager_port)}",
        f"--web.external-url={s.url('alertmanager')}/",
        # A single instance: no gossip port to collide with a second stack.
        "--cluster.listen-address=",
    ]


def _node_exporter_argv(binary: str, s: StackSettings, layout: Layout) -> list[str]:
    return [binary, f"--web.listen-address={_listen(s.node_exporter_port)}"]


def _loki_argv(binary: str, s: StackSettings, layout: Layout) -> list[str]:
    config = s.deploy_files.loki_config
    return [binary, f"-config.file={config}", "-config.expand-env=true"]


def _loki_env(s: StackSettings, layout: Layout) -> dict[str, str]:
    return {
        "LOKI_DATA_DIR": str(layout.data("loki")),
        "LOKI_LISTEN": LOOPBACK,
        "LOKI_HTTP_PORT": str(s.loki_port),
        "LOKI_GRPC_PORT": str(s.loki_grpc_port),
        "ALERTMANAGER_URL": s.url("alertmanager"),
    }


def _alloy_argv(binary: str, s: StackSettings, layout: Layout) -> list[str]:
    return [
        binary,
        "run",
        str(s.deploy_files.collector_config),
        f"--server.http.listen-addr={_listen(s.alloy_port)}",
        f"--storage.path={layout.data('alloy')}",
    ]


def _alloy_env(s: StackSettings, layout: Layout) -> dict[str, str]:
    return {
        "SENTIMON_LOG_DIR": str(layout.api_log_dir),
        "SENTIMON_STDIO_LOG_DIR": str(layout.logs),
        "HOST_SYSLOG_FILE": host_syslog_file(),
        "LOKI_PUSH_URL": f"{s.url('loki')}/loki/api/v1/push",
    }


def _grafana_argv(binary: str, s: StackSettings, layout: Layout) -> list[str]:
    # Grafana 10+ ships `grafana server`; older packages only `grafana-server`.
    command = [binary] if Path(binary).name == "grafana-server" else [binary, "server"]
    home = Path("/usr/share/grafana")
    return [*command, f"--homepath={home}"] if home.is_dir() else command


def _grafana_env(s: StackSettings, layout: Layout) -> dict[str, str]:
    grafana = layout.data("grafana")
    return {
        "GF_PATHS_DATA": str(grafana),
        "GF_PATHS_LOGS": str(layout.logs / "grafana"),
        "GF_PATHS_PLUGINS": str(grafana / "plugins"),
        "GF_PATHS_PROVISIONING": str(s.deploy_files.grafana_provisioning),
        "GF_SERVER_HTTP_ADDR": LOOPBACK,
        "GF_SERVER_HTTP_PORT": str(s.grafana_port),
        "GF_SECURITY_ADMIN_PASSWORD": os.environ.get("GF_SECURITY_ADMIN_PASSWORD")
        or layout.grafana_password(),
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "PROMETHEUS_URL": s.url("prometheus"),
        "LOKI_URL": s.url("loki"),
        "ALERTMANAGER_URL": s.url("alertmanager"),
        "GRAFANA_DASHBOARDS_DIR": str(s.deploy_files.dashboards),
    }


def _console_argv(python: str, s: StackSettings, layout: Layout) -> list[str]:
    return [python, "-m", "sentimon", "console", "--port", str(s.console_port)]


def _console_env(s: StackSettings, layout: Layout) -> dict[str, str]:
    # This stack's servers, and its state (as an absolute path: the console runs in it),
    # so that the console reads and probes this stack, whatever its ports.
    return {
        "SENTIMON_CONSOLE_PROMETHEUS_URL": s.url("prometheus"),
        "SENTIMON_CONSOLE_ALERTMANAGER_URL": s.url("alertmanager"),
        "SENTIMON_CONSOLE_GRAFANA_URL": s.url("grafana"),
        "SENTIMON_STACK_STATE_DIR": str(layout.root),
        "SENTIMON_STACK_DEPLOY_DIR": str(s.deploy_dir.resolve()),
        # Its rate windows hold four scrapes (`demo --fast` scrapes every second).
        "SENTIMON_STACK_SCRAPE_INTERVAL": s.scrape_interval,
    }


# In start order: what Prometheus scrapes and alerts to exists before it does.
COMPONENTS: tuple[Component, ...] = (
    Component(
        "sentimon", "sentimon API", (), "pip install sentimon",
        "api_port", "/readyz", "/", _api_argv, _api_env, job=JOB,
    ),
    Component(
        "receiver", "alert receiver", (), "pip install sentimon",
        "receiver_port", "/healthz", "/alerts", _receiver_argv, service="alert-receiver",
    ),
    Component(
        "node", "Node Exporter", ("prometheus-node-exporter", "node_exporter"),
        "sudo apt-get install prometheus-node-exporter",
        "node_exporter_port", "/", "/metrics", _node_exporter_argv, job="node",
        service="node-exporter",
    ),
    Component(
        "alertmanager", "Alertmanager", ("prometheus-alertmanager", "alertmanager"),
        "sudo apt-get install prometheus-alertmanager",
        "alertmanager_port", "/-/ready", "/", _alertmanager_argv, job="alertmanager",
    ),
    Component(
        "loki", "Loki", ("loki",), f"{GRAFANA_APT} loki",
        "loki_port", "/ready", "/ready", _loki_argv, _loki_env, job="loki",
    ),
    Component(
        "prometheus", "Prometheus", ("prometheus",), "sudo apt-get install prometheus",
        "prometheus_port", "/-/ready", "/", _prometheus_argv, job="prometheus",
    ),
    Component(
        "alloy", "Grafana Alloy", ("alloy",), f"{GRAFANA_APT} alloy",
        "alloy_port", "/-/ready", "/", _alloy_argv, _alloy_env, job="alloy",
    ),
    Component(
        "grafana", "Grafana", ("grafana", "grafana-server"), f"{GRAFANA_APT} grafana",
        "grafana_port", "/api/health", "/", _grafana_argv, _grafana_env,
        job="grafana",
    ),
    Component(
        "console", "sentimon console", (), "pip install sentimon",
        "console_port", "/healthz", "/", _console_argv, _console_env,
    ),
)  # fmt: skip

BY_NAME = {component.name: component for component in COMPONENTS}

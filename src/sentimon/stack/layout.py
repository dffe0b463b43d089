"""Where the native stack keeps its rendered configs, data and logs: one state directory."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    """Paths under the state directory (`.sentimon` unless SENTIMON_STACK_STATE_DIR says)."""

    root: Path

    @property
    def config(self) -> Path:
        """Configs rendered from deploy/ (overwritten at every `stack up`)."""
        return self.root / "config"

    @property
    def prometheus_config(self) -> Path:
        return self.config / "prometheus" / "prometheus.yml"

    @property
    def targets(self) -> Path:
        return self.config / "prometheus" / "targets"

    @property
    def alertmanager_config(self) -> Path:
        return self.config / "alertmanager" / "alertmanager.yml"

    @property
    def logs(self) -> Path:
        """Each component's stdout and stderr, <service>.stdout.log and <service>.stderr.log,
        named for its Loki `service` label (the collector tails them)."""
        return self.root / "logs"

    @property
    def api_log_dir(self) -> Path:
        """The API's own rotated log file (SENTIMON_LOG_DIR)."""
        return self.logs / "sentimon"

    def data(self, component: str) -> Path:
        """A component's persistent data (TSDB, silences, Loki chunks, Grafana's database).

        Created on first use, so that only components that keep data get a directory.
        """
        path = self.root / "data" / component
        path.mkdir(parents=True, exist_ok=True)
        return path

    def grafana_password(self) -> str:
        """Grafana's admin password: generated once, kept in a file only the user can read."""
        path = self.root / "grafana-admin-password"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(24) + "\n")
        return path.read_text().strip()

"""Settings of `sentimon console`; every field reads SENTIMON_CONSOLE_<FIELD>."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORT = 8001
_HTTP_URL = r"^https?://[^\s/]+(/\S*)?$"


class ConsoleSettings(BaseSettings):
    """Where the console listens and which servers it reads; `stack up` sets the URLs."""

    model_config = SettingsConfigDict(
        env_prefix="SENTIMON_CONSOLE_", extra="ignore", use_attribute_docstrings=True
    )

    host: str = "127.0.0.1"
    """Address `sentimon console` binds to (0.0.0.0 shows it to the network: it has no login)."""
    port: int = Field(DEFAULT_PORT, ge=0, le=65535)
    """Port `sentimon console` binds to; `stack up` uses SENTIMON_STACK_CONSOLE_PORT."""
    prometheus_url: str = Field("http://127.0.0.1:9090", pattern=_HTTP_URL)
    """The Prometheus the charts query."""
    alertmanager_url: str = Field("http://127.0.0.1:9093", pattern=_HTTP_URL)
    """The Alertmanager whose alerts the console lists."""
    grafana_url: str = Field("http://127.0.0.1:3000", pattern=_HTTP_URL)
    """The Grafana the console links to when its /api/health answers."""
    refresh_seconds: int = Field(15, ge=5, le=300)
    """How often the page fetches its charts, alerts and component health again."""
    timeout_seconds: float = Field(5, gt=0, le=60)
    """How long the console waits for Prometheus, Alertmanager or Grafana per request."""
    log_dir: Path | None = None
    """The API's log directory, whose lines a clicked request shows [default: the stack's]."""

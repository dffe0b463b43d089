"""The one settings object. Every field reads from the environment as SENTIMON_<FIELD>."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sentimon.model.artifact import default_model_dir


class Settings(BaseSettings):
    """Service configuration; no other module reads os.environ."""

    model_config = SettingsConfigDict(
        env_prefix="SENTIMON_", extra="ignore", use_attribute_docstrings=True
    )

    host: str = "127.0.0.1"
    """Address `sentimon serve` binds to."""
    port: int = Field(8000, ge=0, le=65535)
    """Port `sentimon serve` binds to (0 picks a free one)."""
    workers: int = Field(1, ge=1, le=64)
    """Worker processes for `sentimon serve`."""
    metrics_port: int | None = Field(None, ge=1, le=65535)
    """Serve /metrics on this port only, beside the API on SENTIMON_PORT, so that a NetworkPolicy or firewall can admit only Prometheus to it (conventionally 9464); empty: /metrics on the API's port."""  # noqa: E501

    model_dir: Path = Field(default_factory=default_model_dir)
    """Directory holding model.onnx, tokenizer.json and model_card.json."""
    onnx_threads: int = Field(1, ge=1, le=64)
    """onnxruntime intra-op threads per worker; 1 is fastest for one short text."""
    device: str = Field("auto", pattern="^(auto|cpu|cuda)$")
    """Where inference runs: `auto` takes CUDA when onnxruntime can start it, else the CPU; `cuda` refuses to start without it."""  # noqa: E501

    max_text_chars: int = Field(5000, ge=1)
    """Longest accepted text, in characters."""
    max_batch: int = Field(64, ge=1)
    """Most texts accepted by /predict/batch."""
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    """Largest accepted request body; larger ones get 413 before parsing."""

    api_docs: bool = True
    """Serve Swagger UI at /docs, its assets from the installed fastapi-offline package (nothing from a CDN); off, /openapi.json alone."""  # noqa: E501

    fault_injection: bool = False
    """Honour the X-Inject-Fault header on /predict (demo and alert tests only)."""
    fault_slow_seconds: float = Field(1.5, ge=0, le=60)
    """Latency added by `X-Inject-Fault: slow`."""

    feedback_key: SecretStr | None = None
    """Key that signs the feedback tokens, 32 bytes or more, the same for every worker and replica; empty: the key file."""  # noqa: E501
    feedback_key_file: Path = Path(".sentimon/feedback.key")
    """Where the feedback key is kept when SENTIMON_FEEDBACK_KEY is empty; created (mode 0600) on first start."""  # noqa: E501
    feedback_max_age_seconds: int = Field(7 * 86400, ge=60)
    """How long after a prediction its feedback token is accepted by POST /feedback."""

    shutdown_grace_seconds: int = Field(30, ge=0)
    """How long in-flight requests may run after SIGTERM before they are cut."""
    header_max_bytes: int = Field(16 * 1024, ge=1024, le=1024 * 1024)
    """Largest request line plus headers; larger ones get 431 and the connection is closed."""
    read_timeout_seconds: float = Field(30, gt=0, le=3600)
    """Longest a request may take to arrive, first byte to last body byte; slower ones are cut (408 while the headers are unfinished)."""  # noqa: E501
    keep_alive_seconds: float = Field(5, gt=0, le=3600)
    """How long a connection may stay open with no request in progress, from its start and between requests."""  # noqa: E501

    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    """Lowest level logged."""
    log_dir: Path | None = Path("logs")
    """Directory of the rotated JSON log file; empty turns the file off."""
    log_max_bytes: int = Field(10 * 1024 * 1024, ge=4096)
    """Size at which the log file rotates."""
    log_backups: int = Field(5, ge=1)
    """Rotated log files kept."""
    syslog_address: str = ""
    """Syslog target for WARNING and above: a unix socket path (/dev/log) or udp://host:port; empty is off."""  # noqa: E501
    log_text: bool = False
    """Log the raw user text with each prediction (off: only its length and a short hash)."""
    access_log: bool = True
    """One JSON line per request on stdout and in the file (probes and scrapes at DEBUG)."""
    metrics_enabled: bool = True
    """Collect request and model metrics (off only to measure what they cost)."""
    opentelemetry: bool = False
    """Let FastAPI's native OpenTelemetry send traces, metrics and logs to the providers configured globally (e.g. by opentelemetry-instrument); off, it skips a check on every request."""  # noqa: E501
    prometheus_multiproc_dir: Path | None = Field(None, validation_alias="PROMETHEUS_MULTIPROC_DIR")
    """Set by `sentimon serve --workers N` for prometheus_client's multiprocess mode; not for users."""  # noqa: E501

    @field_validator("log_dir", "feedback_key", "metrics_port", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _metrics_port_of_its_own(self) -> Settings:
        if self.metrics_port == self.port:
            raise ValueError(f"metrics_port must differ from port (both {self.port})")
        return self

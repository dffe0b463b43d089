import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from sentimon.console.settings import ConsoleSettings
from sentimon.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_environment_variables_use_the_prefix(monkeypatch):
    monkeypatch.setenv("SENTIMON_MAX_BATCH", "7")
    monkeypatch.setenv("SENTIMON_FAULT_INJECTION", "1")
    monkeypatch.setenv("SENTIMON_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.max_batch == 7 and settings.fault_injection is True
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SENTIMON_MAX_BATCH", "0"),
        ("SENTIMON_DEVICE", "tpu"),
        ("SENTIMON_PORT", "70000"),
        ("SENTIMON_METRICS_PORT", "0"),
        ("SENTIMON_LOG_LEVEL", "loud"),
    ],
)
def test_bad_values_fail_fast_naming_the_field(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("SENTIMON_").lower()):
        Settings()


def test_an_empty_metrics_port_is_off(monkeypatch):
    monkeypatch.setenv("SENTIMON_METRICS_PORT", "")
    assert Settings().metrics_port is None
    monkeypatch.setenv("SENTIMON_METRICS_PORT", "9464")
    assert Settings().metrics_port == 9464


def test_the_metrics_port_must_not_be_the_api_port(monkeypatch):
    monkeypatch.setenv("SENTIMON_PORT", "9464")
    monkeypatch.setenv("SENTIMON_METRICS_PORT", "9464")
    with pytest.raises(ValidationError, match="metrics_port must differ from port"):
        Settings()


def test_every_setting_is_documented_with_its_description():
    """The API's settings and the console's (SENTIMON_CONSOLE_*) share the table's page."""
    doc = DOC.read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([A-Z_]+)` .*$", doc, re.M)}
    fields = {
        field.validation_alias or f"{prefix}{name.upper()}": field
        for prefix, settings in (("SENTIMON_", Settings), ("SENTIMON_CONSOLE_", ConsoleSettings))
        for name, field in settings.model_fields.items()
    }
    assert set(rows) == set(fields)
    for env_name, field in fields.items():
        assert field.description and field.description in rows[env_name]

"""Fixtures for the deploy/ tests: the real validators, skipped by name when absent."""

from __future__ import annotations

import shutil

import pytest


def _binary(name: str, install: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not on PATH (install it with: {install})")
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    """Prometheus's checker and rule-test runner."""
    return _binary("promtool", "apt-get install prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    """Alertmanager's config checker and route tester."""
    return _binary("amtool", "apt-get install prometheus-alertmanager")


@pytest.fixture(scope="session")
def alertmanager_binary() -> str:
    """The Alertmanager server: Debian names it prometheus-alertmanager, upstream alertmanager."""
    for name in ("alertmanager", "prometheus-alertmanager"):
        if path := shutil.which(name):
            return path
    pytest.skip(
        "Alertmanager is not on PATH (install it with: apt-get install prometheus-alertmanager)"
    )

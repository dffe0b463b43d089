"""Fixtures shared by every test folder."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import suite_order
from servers import ApiServer, start_api

from sentimon.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: suite_order.rank(item.path))  # stable: a file keeps its order


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The model the service loads: the shipped one unless SENTIMON_MODEL_DIR says otherwise."""
    return Settings().model_dir


@pytest.fixture(scope="session")
def api(tmp_path_factory) -> Iterator[ApiServer]:
    """One real `sentimon serve` with default settings, shared by the read-only API tests."""
    server = start_api(tmp_path_factory.mktemp("api"))
    yield server
    server.stop()


@pytest.fixture
def api_factory(tmp_path) -> Iterator[Callable[..., ApiServer]]:
    """Start servers with custom settings; each one is stopped when the test ends."""
    started: list[ApiServer] = []

    def start(env: dict[str, str] | None = None, args: list[str] | None = None) -> ApiServer:
        server = start_api(tmp_path / f"api{len(started)}", env, args)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    # pytest calls this hook with every collected item, not only this folder's.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="module")
def dashboard_queries() -> list[str]:
    """Every PromQL query of the generated dashboards, Grafana's variables filled in."""
    dashboards = pytest.importorskip(
        "sentimon_generate.dashboards",
        reason="grafana-foundation-sdk is not installed (the dev extra)",
    )
    return sorted({q for queries in dashboards.promql_queries().values() for q in queries})

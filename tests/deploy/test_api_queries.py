"""The API's headline queries, evaluated by Prometheus's own engine (promtool) on series
shaped like the API's: what a chart shows for no traffic, clean traffic and failures."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from sentimon.queries.api import error_ratio
from sentimon.queries.promql import SENTIMON_JOB, expand


def _requests(status: str, per_minute: int) -> dict:
    labels = f'{SENTIMON_JOB}, instance="api:8000", handler="/predict", status="{status}"'
    return {"series": f"http_requests_total{{{labels}}}", "values": f"0+{per_minute}x10"}


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        pytest.param([], [], id="no traffic: no data"),
        pytest.param([_requests("200", 60)], [0], id="traffic without a 5xx: 0 %"),
        pytest.param([_requests("200", 30), _requests("503", 10)], [0.25], id="a quarter 5xx"),
    ],
)
def test_the_5xx_share_is_zero_for_clean_traffic_and_absent_without_traffic(
    promtool, tmp_path, series, expected
):
    expr = expand(error_ratio(SENTIMON_JOB), {"__rate_interval": "2m"})
    document = {
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "promql_expr_test": [
                    {
                        "expr": expr,
                        "eval_time": "5m",
                        "exp_samples": [{"labels": "{}", "value": v} for v in expected],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "error_ratio.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    result = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, expr + "\n" + result.stdout + result.stderr

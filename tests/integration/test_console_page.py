"""The console in Chromium when its Prometheus and Alertmanager are down: it says so,
naming them, instead of drawing empty charts. (test_stack.py drives it on a live stack.)"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from chromium import MISSING, console_errors, installed, start_chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from servers import free_port, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not installed(), reason=MISSING)]


@pytest.fixture
def lonely_console(tmp_path):
    """A console whose Prometheus and Alertmanager ports have nothing behind them."""
    port, dead = free_port(), free_port()
    env = os.environ | {
        "SENTIMON_CONSOLE_PROMETHEUS_URL": f"http://127.0.0.1:{dead}",
        "SENTIMON_CONSOLE_ALERTMANAGER_URL": f"http://127.0.0.1:{dead}",
        "SENTIMON_CONSOLE_GRAFANA_URL": f"http://127.0.0.1:{dead}",
        "SENTIMON_CONSOLE_REFRESH_SECONDS": "5",
        "SENTIMON_STACK_STATE_DIR": str(tmp_path / "no-stack"),
    }
    with open(tmp_path / "console.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "sentimon", "console", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{url}/healthz", timeout=2).status_code == 200, 30, url)
        yield url, f"http://127.0.0.1:{dead}"
    finally:
        process.terminate()
        process.wait(15)


def test_an_unreachable_prometheus_is_named_on_the_page(lonely_console, tmp_path):
    url, dead = lonely_console
    driver = start_chromium(tmp_path / "chromium")
    try:
        driver.get(f"{url}/")
        problems = WebDriverWait(driver, 20).until(
            lambda d: (
                d.find_element(By.ID, "problems").is_displayed()
                and d.find_element(By.ID, "problems")
            )
        )
        text = problems.text
        assert f"Prometheus at {dead} is unreachable" in text
        assert f"Alertmanager at {dead} is unreachable" in text
        # Each chart says why it is empty, and none was drawn from nothing.
        notes = [n.text for n in driver.find_elements(By.CSS_SELECTOR, ".chart .note")]
        assert len(notes) == 13 and all(n.startswith("No chart: Prometheus at") for n in notes)
        assert driver.execute_script("return Object.keys(window.consoleCharts).length") == 0
        assert not console_errors(driver) or all(
            "api/" in e["message"] for e in console_errors(driver)
        )  # only the 502s of the failing API calls, no script or CSP error
    finally:
        driver.quit()


def _pressed_range(driver) -> str | None:
    return driver.execute_script(
        "const b = document.querySelector('#ranges button[aria-pressed=\"true\"]');"
        "return b && b.dataset.range;"
    )


def test_the_console_opens_on_the_range_in_its_url_and_keeps_the_one_picked(
    lonely_console, tmp_path
):
    url, _ = lonely_console
    driver = start_chromium(tmp_path / "chromium")
    try:
        driver.get(f"{url}/?range=15m")
        assert WebDriverWait(driver, 20).until(_pressed_range) == "15m"
        driver.find_element(By.CSS_SELECTOR, '#ranges button[data-range="6h"]').click()
        assert _pressed_range(driver) == "6h"
        assert "range=6h" in driver.current_url  # a reload opens where the user was
        driver.refresh()
        assert WebDriverWait(driver, 20).until(_pressed_range) == "6h"
        driver.get(f"{url}/?range=2w")  # not one the picker offers: the default
        assert WebDriverWait(driver, 20).until(_pressed_range) == "1h"
    finally:
        driver.quit()

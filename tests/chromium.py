"""Debian's headless Chromium through chromedriver, for the browser tests."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
MISSING = "needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)"


def installed() -> bool:
    return CHROMIUM.is_file() and CHROMEDRIVER.is_file()


def start_chromium(profile: Path, window: str = "1400,1800"):
    """A headless Chromium with its own profile directory; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={window}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))


# Chromium aborts the requests in flight when a network interface comes or goes on the
# machine, as the compose tests' podman networks do in another xdist worker. The page is not
# at fault, and its next refresh loads again.
NOT_THE_PAGES = ("net::ERR_NETWORK_CHANGED",)


def console_errors(driver) -> list[dict]:
    """The page's SEVERE console entries (a CSP violation, a script error), without the
    aborts that the machine's network changes cause."""
    return [
        entry
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and not entry["message"].endswith(NOT_THE_PAGES)
    ]

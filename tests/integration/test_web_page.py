"""The web page at /, driven in Debian's headless Chromium against a real `sentimon serve`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import chromium
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = [pytest.mark.integration, pytest.mark.browser]

if not chromium.installed():
    pytest.skip(chromium.MISSING, allow_module_level=True)

POSITIVE = "This movie was absolutely wonderful, I loved every minute of it."
NEGATIVE = "This movie was terrible, boring and a complete waste of time. I hated it."
WAIT_S = 20


@pytest.fixture(scope="module")
def info(api) -> dict:
    return httpx.get(f"{api.url}/info", timeout=10).raise_for_status().json()


@pytest.fixture
def driver(tmp_path) -> Iterator[webdriver.Chrome]:
    browser = chromium.start_chromium(tmp_path / "chromium", window="1100,1300")
    try:
        yield browser
    finally:
        browser.quit()


def _open(driver: webdriver.Chrome, url: str) -> None:
    """Load the page and wait until /info has answered (the counter then shows the limit)."""
    driver.get(f"{url}/")
    WebDriverWait(driver, WAIT_S).until(lambda d: "/" in d.find_element(By.ID, "counter").text)


def _set_text(driver: webdriver.Chrome, text: str) -> None:
    """Fill the textarea as a paste would; ChromeDriver cannot type characters outside the BMP."""
    driver.execute_script(
        "const t = document.getElementById('text');"
        "t.value = arguments[0]; t.dispatchEvent(new Event('input'));",
        text,
    )


def _outcome(driver: webdriver.Chrome) -> str:
    """Wait for a result or an error to show; return which, failing with the page's message."""

    def shown(d):
        if d.find_element(By.ID, "result").is_displayed():
            return "result"
        return "error" if d.find_element(By.ID, "error").text else None

    return WebDriverWait(driver, WAIT_S).until(shown)


def _result(driver: webdriver.Chrome) -> WebElement:
    outcome = _outcome(driver)
    assert outcome == "result", driver.find_element(By.ID, "error").text
    return driver.find_element(By.ID, "result")


def _analyze(driver: webdriver.Chrome) -> WebElement:
    driver.find_element(By.ID, "submit").click()
    return _result(driver)


def _explain(url: str, text: str) -> dict:
    return httpx.post(f"{url}/explain", json={"text": text}, timeout=30).raise_for_status().json()


def _tokens(driver: webdriver.Chrome) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#highlighted .tok")


def _text_content(element: WebElement) -> str:
    return element.get_attribute("textContent")


def _console_errors(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _feedback_counts(url: str) -> Counter[tuple[str, str, str]]:
    """model_feedback_total on the API's /metrics by (predicted_label, true_label, correct)."""
    text = httpx.get(f"{url}/metrics", timeout=10).raise_for_status().text
    return Counter(
        {
            (s.labels["predicted_label"], s.labels["true_label"], s.labels["correct"]): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "model_feedback_total"
        }
    )


def _feedback_buttons(driver: webdriver.Chrome) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, "#feedback button")


def _feedback_outcome(driver: webdriver.Chrome) -> WebElement:
    """Wait until the feedback sent from the page has its answer; return where it is shown."""
    outcome = driver.find_element(By.ID, "feedback-outcome")
    WebDriverWait(driver, WAIT_S).until(lambda d: outcome.text not in ("", "Sending…"))
    return outcome


def _feedback_requests(driver: webdriver.Chrome) -> int:
    return driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => new URL(e.name).pathname === '/feedback').length"
    )


def test_the_line_under_the_title_shows_the_models_headline_figures(api, info, driver):
    _open(driver, api.url)
    line = driver.find_element(By.ID, "model-info").text
    metrics = info["model"]["metrics"]
    assert f"{info['model']['name']} {info['model']['version']}" in line
    assert f"test accuracy {metrics['test']['accuracy'] * 100:.1f}%" in line
    assert f"UCI reviews {metrics['uci_sentences']['accuracy'] * 100:.1f}%" in line


def test_result_shows_label_confidence_scores_and_highlighted_words(api, info, driver):
    _open(driver, api.url)
    driver.find_element(By.ID, "text").send_keys(POSITIVE)
    result = _analyze(driver)
    expected = _explain(api.url, POSITIVE)

    label = result.find_element(By.ID, "label").text
    assert label == expected["label"]
    confidence = result.find_element(By.ID, "confidence").text
    assert confidence == f"{expected['confidence'] * 100:.1f}%"
    bar = result.find_element(By.ID, "confidence-bar")
    assert bar.size["width"] > 0

    rows = result.find_elements(By.CSS_SELECTOR, "#scores li")
    names = [row.get_attribute("data-label") for row in rows]
    assert names == list(expected["scores"])  # in the order the API returns them
    assert sorted(names) == sorted(info["model"]["labels"])
    values = [row.find_element(By.CLASS_NAME, "value").text for row in rows]
    assert values[names.index(label)] == confidence

    # Every word and punctuation mark is its own span; with the text between them it is the input.
    assert [_text_content(t) for t in _tokens(driver)] == re.findall(r"\w+|[^\w\s]", POSITIVE)
    assert _text_content(driver.find_element(By.ID, "highlighted")) == POSITIVE
    meta = result.find_element(By.ID, "meta").text
    assert re.search(rf"{re.escape(info['model']['name'])} .* request id [0-9a-f]+", meta), meta
    assert not result.find_element(By.ID, "truncated").is_displayed()
    assert _console_errors(driver) == []


@pytest.mark.parametrize(("text", "label"), [(POSITIVE, "positive"), (NEGATIVE, "negative")])
def test_plain_sentences_get_the_obvious_label_and_supporting_words(api, driver, text, label):
    _open(driver, api.url)
    driver.find_element(By.ID, "text").send_keys(text, Keys.CONTROL, Keys.ENTER)
    result = _result(driver)
    assert result.find_element(By.ID, "label").text == label
    tokens = _tokens(driver)
    weights = [float(t.get_attribute("data-weight")) for t in tokens]
    supporting = [t for t, w in zip(tokens, weights, strict=True) if w > 0]
    assert supporting, "no highlighted word supports the label"
    assert all("for" in t.get_attribute("class").split() for t in supporting)
    # Intensity is relative: the most influential word is drawn at full strength.
    strongest = tokens[max(range(len(weights)), key=lambda i: abs(weights[i]))]
    style = driver.execute_script("return arguments[0].style.getPropertyValue('--a')", strongest)
    assert style == "1.000"


@pytest.mark.parametrize("text", ["I love it 😀😀 so much", "😀😀 I love it, 👍🏽 so much"])
def test_highlights_stay_on_their_words_after_emoji(api, driver, text):
    _open(driver, api.url)
    _set_text(driver, text)
    _analyze(driver)
    words = [_text_content(t) for t in _tokens(driver)]
    assert "love" in words and words[-2:] == ["so", "much"], words
    # The page slices by the API's offsets; the API's own slices must come out the same.
    assert words == [a["text"] for a in _explain(api.url, text)["attributions"]]
    assert _text_content(driver.find_element(By.ID, "highlighted")) == text


def test_user_text_is_shown_as_text_not_markup(api, driver):
    text = 'nice <img src="x" onerror="document.title=1"> <b>bold</b>'
    _open(driver, api.url)
    _set_text(driver, text)
    _analyze(driver)
    highlighted = driver.find_element(By.ID, "highlighted")
    assert _text_content(highlighted) == text
    assert highlighted.find_elements(By.CSS_SELECTOR, "img, b") == []


def test_limit_is_counted_in_characters_and_enforced(api, info, driver):
    limit = info["limits"]["max_text_chars"]
    _open(driver, api.url)
    submit = driver.find_element(By.ID, "submit")
    counter = driver.find_element(By.ID, "counter")

    # Emoji are one character to the API (two UTF-16 units to JavaScript): exactly at the limit.
    _set_text(driver, "😀" * limit)
    assert counter.text == f"{limit} / {limit}"
    assert submit.is_enabled()
    result = _analyze(driver)
    note = result.find_element(By.ID, "truncated")
    assert note.is_displayed()
    assert f"Only the first {info['model']['max_tokens']} tokens were read" in note.text

    _set_text(driver, "a" * (limit + 1))
    assert counter.text.startswith(f"{limit + 1} / {limit}") and "too long" in counter.text
    assert not submit.is_enabled()
    driver.find_element(By.ID, "text").send_keys(Keys.CONTROL, Keys.ENTER)
    assert "the limit is" in driver.find_element(By.ID, "error").text
    assert not driver.find_element(By.ID, "result").is_displayed()


def test_blank_text_gets_a_message_without_calling_the_api(api, driver):
    _open(driver, api.url)
    driver.find_element(By.ID, "text").send_keys("   ", Keys.SHIFT, Keys.ENTER, "  ")
    driver.find_element(By.ID, "submit").click()
    assert _outcome(driver) == "error"
    assert "Type or paste some text" in driver.find_element(By.ID, "error").text
    assert not driver.find_element(By.ID, "result").is_displayed()
    calls = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
    )
    assert "/explain" not in calls


def test_api_errors_show_the_servers_message(api, info, driver):
    limit = info["limits"]["max_text_chars"]
    _open(driver, api.url)
    driver.execute_script("maxChars = null;")  # as if /info had not answered: the API must refuse
    _set_text(driver, "a" * (limit + 1))
    driver.find_element(By.ID, "submit").click()
    assert _outcome(driver) == "error"
    error = driver.find_element(By.ID, "error")
    assert error.get_attribute("role") == "alert"
    assert f"the limit is {limit}" in error.text and "request id" in error.text


def test_unreachable_server_gets_a_clear_message(api_factory, driver):
    server = api_factory()
    _open(driver, server.url)
    server.stop()
    _set_text(driver, "hello there")
    driver.find_element(By.ID, "submit").click()
    assert _outcome(driver) == "error"
    assert "Could not reach the sentimon server" in driver.find_element(By.ID, "error").text


def test_page_loads_nothing_from_other_hosts(api, driver):
    for path in ("/", "/static/index.html", "/static/app.js", "/static/style.css"):
        response = httpx.get(f"{api.url}{path}", timeout=10)
        assert response.status_code == 200, path
        assert re.findall(r"https?://", response.text) == [], path
    _open(driver, api.url)
    loaded = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert {"/static/app.js", "/static/style.css", "/info"} <= {
        httpx.URL(url).path for url in loaded
    }
    assert all(url.startswith(f"{api.url}/") for url in loaded), loaded
    assert _console_errors(driver) == []


def test_yes_counts_the_prediction_as_correct(api, driver):
    _open(driver, api.url)
    _set_text(driver, POSITIVE)
    label = _analyze(driver).find_element(By.ID, "label").text
    control = driver.find_element(By.ID, "feedback")
    assert control.is_displayed() and "Was this right?" in control.text
    outcome = driver.find_element(By.ID, "feedback-outcome")
    assert outcome.get_attribute("aria-live") == "polite" and outcome.text == ""
    before = _feedback_counts(api.url)

    driver.find_element(By.ID, "feedback-yes").click()
    assert _feedback_outcome(driver).text == "Thanks: counted as correct."
    assert _feedback_counts(api.url) - before == Counter({(label, label, "true"): 1})
    assert _console_errors(driver) == []


def test_no_then_another_label_counts_it_as_wrong(api, info, driver):
    _open(driver, api.url)
    _set_text(driver, NEGATIVE)
    predicted = _analyze(driver).find_element(By.ID, "label").text
    choices = driver.find_element(By.ID, "feedback-labels")
    assert not choices.is_displayed()

    no = driver.find_element(By.ID, "feedback-no")
    no.click()
    assert choices.is_displayed() and no.get_attribute("aria-expanded") == "true"
    buttons = choices.find_elements(By.TAG_NAME, "button")
    names = [b.text for b in buttons]
    assert sorted(names) == sorted(set(info["model"]["labels"]) - {predicted})
    assert driver.switch_to.active_element == buttons[0]  # the keyboard lands on the choices
    before = _feedback_counts(api.url)

    buttons[-1].click()
    outcome = _feedback_outcome(driver).text
    assert outcome == f"Thanks: counted as wrong; the right label was {names[-1]}."
    assert _feedback_counts(api.url) - before == Counter({(predicted, names[-1], "false"): 1})
    assert _console_errors(driver) == []


def test_feedback_is_sent_once_per_prediction_and_reset_by_the_next(api, driver):
    _open(driver, api.url)
    _set_text(driver, POSITIVE)
    label = _analyze(driver).find_element(By.ID, "label").text
    before = _feedback_counts(api.url)

    # A double click and a direct call in the same task: only the first gets through.
    driver.execute_script(
        "const yes = document.getElementById('feedback-yes');"
        "yes.click(); yes.click(); sendFeedback(feedback.predicted);"
    )
    assert _feedback_outcome(driver).text == "Thanks: counted as correct."
    assert all(not b.is_enabled() for b in _feedback_buttons(driver))
    driver.find_element(By.ID, "feedback-yes").click()
    driver.execute_script("sendFeedback(feedback.predicted);")
    assert _feedback_requests(driver) == 1
    assert _feedback_counts(api.url) - before == Counter({(label, label, "true"): 1})

    token = driver.execute_script("return feedback.token;")
    _set_text(driver, NEGATIVE)
    _analyze(driver)
    assert driver.execute_script("return feedback.token;") != token
    assert all(b.is_enabled() for b in _feedback_buttons(driver))
    assert driver.find_element(By.ID, "feedback-outcome").text == ""
    assert not driver.find_element(By.ID, "feedback-labels").is_displayed()
    assert _console_errors(driver) == []


def test_refused_feedback_shows_the_servers_message(api, driver):
    _open(driver, api.url)
    _set_text(driver, POSITIVE)
    label = _analyze(driver).find_element(By.ID, "label").text
    sent = {"feedback_token": driver.execute_script("return feedback.token;"), "label": label}
    httpx.post(f"{api.url}/feedback", json=sent, timeout=10).raise_for_status()
    before = _feedback_counts(api.url)

    driver.find_element(By.ID, "feedback-yes").click()
    outcome = _feedback_outcome(driver)
    refused = httpx.post(f"{api.url}/feedback", json=sent, timeout=10)
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] in outcome.text
    assert "request id" in outcome.text and "failed" in outcome.get_attribute("class")
    assert all(not b.is_enabled() for b in _feedback_buttons(driver))  # the token is spent
    assert _feedback_counts(api.url) == before
    # Chromium logs the 409 itself; the page adds no error of its own.
    assert all("409" in e for e in _console_errors(driver))


def test_unreachable_server_leaves_the_feedback_to_send_again(api_factory, driver):
    server = api_factory()
    _open(driver, server.url)
    _set_text(driver, POSITIVE)
    _analyze(driver)
    server.stop()
    driver.find_element(By.ID, "feedback-yes").click()
    assert "Could not reach the sentimon server" in _feedback_outcome(driver).text
    assert all(b.is_enabled() for b in _feedback_buttons(driver))


def test_feedback_control_is_hidden_when_feedback_is_off(api_factory, driver):
    server = api_factory({"SENTIMON_FEEDBACK_KEY": "too short"})
    assert _explain(server.url, POSITIVE)["feedback_token"] is None
    _open(driver, server.url)
    _set_text(driver, POSITIVE)
    _analyze(driver)
    assert not driver.find_element(By.ID, "feedback").is_displayed()
    assert _console_errors(driver) == []


def test_swagger_ui_renders_with_nothing_but_this_service(api, driver):
    """/docs draws every operation from scripts this service serves, under its own policy."""
    driver.get(f"{api.url}/docs")
    operations = WebDriverWait(driver, WAIT_S).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    )
    assert len(operations) >= 7
    fetched = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert fetched, "the page fetched nothing"
    elsewhere = [url for url in fetched if not url.startswith(f"{api.url}/")]
    assert not elsewhere, f"/docs fetched from elsewhere: {elsewhere}"
    assert not _console_errors(driver)  # a script its policy refused would show here

"""The HTTP API against a real `sentimon serve` on a free port."""

import json

import httpx
import pytest

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client(api):
    with api.client() as c:
        yield c


def _assert_error(response: httpx.Response, status: int, kind: str, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["type"] == kind
    assert words in body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]


def test_predict_classifies_and_returns_every_score(client):
    r = client.post("/predict", json={"text": "What a fantastic product, I love it!"})
    assert r.status_code == 200
    body = r.json()
    assert body["label"] == "positive"
    assert body["confidence"] == max(body["scores"].values())
    assert set(body["scores"]) == {"negative", "neutral", "positive"}
    assert body["model"] == "sentimon-bilstm" and body["model_version"]
    assert body["request_id"] == r.headers["x-request-id"]
    assert body["truncated"] is False


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("This movie was absolutely wonderful, I loved every minute of it.", "positive"),
        ("Best purchase I have made all year, works perfectly.", "positive"),
        ("The food was cold, the waiter was rude and I will never go back.", "negative"),
        ("This phone is garbage, it broke after two days.", "negative"),
    ],
)
def test_plain_sentences_from_other_domains(client, text, label):
    assert client.post("/predict", json={"text": text}).json()["label"] == label


def test_batch_keeps_order_and_matches_single_predictions(client):
    texts = ["I love this", "I hate this", "the meeting is at noon"]
    r = client.post("/predict/batch", json={"texts": texts})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == 3
    for text, result in zip(texts, results, strict=True):
        single = client.post("/predict", json={"text": text}).json()
        assert result["label"] == single["label"]
        assert result["confidence"] == pytest.approx(single["confidence"], abs=1e-5)


def test_long_text_is_truncated_and_reported(client):
    r = client.post("/predict", json={"text": "good " * 1000})
    assert r.status_code == 200
    assert r.json()["truncated"] is True


@pytest.mark.parametrize(
    ("body", "status", "kind", "words"),
    [
        ({}, 422, "invalid_request", "text: Field required"),
        ({"text": None}, 422, "invalid_request", "text: Input should be a valid string"),
        ({"text": 42}, 422, "invalid_request", "text: Input should be a valid string"),
        ({"text": ["a"]}, 422, "invalid_request", "valid string"),
        ({"text": ""}, 422, "invalid_request", "text is empty"),
        ({"text": " \n\t "}, 422, "invalid_request", "text is empty"),
        ({"text": "a" * 5001}, 422, "invalid_request", "limit is 5000 (SENTIMON_MAX_TEXT_CHARS)"),
        ([1, 2], 422, "invalid_request", "valid dictionary"),
    ],
)
def test_bad_predict_bodies_get_4xx_json(client, body, status, kind, words):
    _assert_error(client.post("/predict", json=body), status, kind, words)


@pytest.mark.parametrize(
    ("body", "kind", "words"),
    [
        ({"texts": []}, "invalid_request", "at least 1 item"),
        ({"texts": ["ok"] * 65}, "invalid_request", "limit is 64 (SENTIMON_MAX_BATCH)"),
        ({"texts": ["ok", ""]}, "invalid_request", "texts[1] is empty"),
        ({"texts": ["ok", 3]}, "invalid_request", "texts.1: Input should be a valid string"),
        ({"texts": ["ok", "a" * 5001]}, "invalid_request", "texts[1] is 5001 characters"),
        ({"texts": "ok"}, "invalid_request", "valid list"),
    ],
)
def test_bad_batches_get_422_json(client, body, kind, words):
    _assert_error(client.post("/predict/batch", json=body), 422, kind, words)


def test_invalid_json_gets_400(client):
    _assert_error(
        client.post("/predict", content=b'{"text": "unterminated', headers=JSON),
        400,
        "invalid_json",
        "body is not valid JSON",
    )


def test_body_that_is_not_utf8_gets_400(client):
    r = client.post("/predict", content=b'{"text": "\xff\xfe"}', headers=JSON)
    assert r.status_code == 400 and r.json()["error"]["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_gets_415(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/predict", content=b'{"text": "hi"}', headers=headers)
    _assert_error(r, 415, "unsupported_media_type", "content-type must be application/json")


def test_json_with_charset_or_vendor_type_is_accepted(client):
    for ct in ("application/json; charset=utf-8", "application/vnd.sentimon+json"):
        r = client.post("/predict", content=b'{"text": "hi"}', headers={"content-type": ct})
        assert r.status_code == 200, (ct, r.text)


def test_body_over_the_limit_gets_413_before_parsing(client):
    body = b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    _assert_error(
        client.post("/predict", content=body, headers=JSON),
        413,
        "body_too_large",
        "SENTIMON_MAX_BODY_BYTES",
    )


def test_chunked_body_over_the_limit_gets_413(client):
    def chunks():
        yield b'{"text": "'
        for _ in range(64):
            yield b"a" * 65536
        yield b'"}'

    r = client.post("/predict", content=chunks(), headers=JSON)
    assert "content-length" not in r.request.headers  # really chunked
    _assert_error(r, 413, "body_too_large", "over 2097152 bytes")


@pytest.mark.parametrize(
    "text",
    [
        "lone surrogate \ud800 here",
        "NUL \x00 inside",
        "bell \x07 and escape \x1b[31m red",
        "emoji 😀🔥👍🏽 and flags 🇫🇷",
        "right to left: \u202e !olleh and مرحبا بالعالم",
        "\ufeffbyte order mark",
        "zero\u200bwidth\u200djoiner",
    ],
)
def test_awkward_unicode_is_served(client, text):
    # json.dumps escapes lone surrogates, so the body itself is valid JSON.
    r = client.post("/predict", content=json.dumps({"text": text}).encode(), headers=JSON)
    assert r.status_code == 200, r.text
    assert r.json()["label"] in {"negative", "neutral", "positive"}


def test_random_paths_get_json_404(client):
    _assert_error(client.get("/no/such/page"), 404, "not_found", "Not Found")


def test_wrong_method_gets_json_405(client):
    _assert_error(client.get("/predict"), 405, "method_not_allowed", "Method Not Allowed")


def test_fault_header_does_nothing_without_the_switch(client):
    r = client.post("/predict", json={"text": "fine"}, headers={"x-inject-fault": "error"})
    assert r.status_code == 200


def test_service_stays_ready_after_bad_input(client):
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("abc-123_X.y", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("has space", False),
        ("semi;colon", False),
        ("ünïcode", False),
    ],
)
def test_request_id_is_kept_only_when_valid(client, incoming, kept):
    r = client.get("/healthz", headers={"x-request-id": incoming.encode("utf-8")})
    rid = r.headers["x-request-id"]
    assert (rid == incoming) is kept
    assert 1 <= len(rid) <= 128


def test_every_response_has_a_request_id(client):
    for r in (client.get("/healthz"), client.get("/nope"), client.post("/predict", json={})):
        assert r.headers["x-request-id"]


def test_info_describes_model_and_runtime(client):
    body = client.get("/info").json()
    assert body["model"]["labels"] == ["negative", "neutral", "positive"]
    assert body["model"]["metrics"]["test"]["accuracy"] >= 0.72
    assert body["runtime"] == body["runtime"] | {"engine": "onnxruntime", "device": "cpu"}
    assert body["limits"]["max_text_chars"] == 5000


def test_web_page_and_metrics_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "process_resident_memory_bytes" in metrics.text


def test_openapi_documents_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/predict", "/predict/batch", "/explain", "/healthz", "/readyz", "/info"} <= set(paths)

"""The HTTP edges in process (httpx's ASGI transport, no server, no network): the JSON error
shape, 404 and 405 before 415, the limits the OpenAPI document declares and the ones
enforced, the 503s, the security headers, and a docs page that loads nothing from elsewhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from sentimon.api.app import create_app
from sentimon.api.schemas import NOT_BLANK
from sentimon.settings import Settings

pytestmark = pytest.mark.anyio

BASE = "http://testserver"
JSON = {"content-type": "application/json"}
POST_ROUTES = ("/predict", "/predict/batch", "/explain", "/feedback")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def _app(**overrides) -> FastAPI:
    return create_app(Settings(log_dir=None, access_log=False, feedback_key="k" * 40, **overrides))


@asynccontextmanager
async def _client(app: FastAPI, lifespan: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """A client for `app`; with `lifespan`, the model loaded as `sentimon serve` loads it."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        if not lifespan:
            yield client
            return
        async with app.router.lifespan_context(app):
            yield client


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_app()) as client:
        yield client


def _assert_error(response: httpx.Response, status: int, kind: str, words: str = "") -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "request_id"}
    assert body["error"]["type"] == kind
    assert words in body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


# 404 and 405 before 415


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize("content_type", ["text/plain", None])
async def test_an_unknown_path_gets_404_whatever_the_method_and_content_type(
    client, method, content_type
):
    headers = {"content-type": content_type} if content_type else {}
    response = await client.request(method, "/no/such/path", content=b"hi", headers=headers)
    _assert_error(response, 404, "not_found", "Not Found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/predict", "POST"),
        ("PUT", "/predict", "POST"),
        ("PATCH", "/predict/batch", "POST"),
        ("DELETE", "/feedback", "POST"),
        ("POST", "/healthz", "GET"),
        ("POST", "/info", "GET"),
    ],
)
async def test_a_method_the_route_does_not_take_gets_405_with_allow_before_415(
    client, method, path, allowed
):
    response = await client.request(
        method, path, content=b"not json", headers={"content-type": "text/plain"}
    )
    _assert_error(response, 405, "method_not_allowed", "Method Not Allowed")
    assert allowed in response.headers["allow"].split(", ")


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_route_that_takes_the_request_refuses_a_body_that_is_not_json(
    client, path, content_type
):
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post(path, content=b'{"text": "hi"}', headers=headers)
    _assert_error(response, 415, "unsupported_media_type", "content-type must be application/json")


async def test_a_declared_length_over_the_limit_gets_413_before_the_body_is_read(client):
    sent = []

    async def body():
        sent.append(1)
        yield b'{"text": "hi"}'

    response = await client.post(
        "/predict", content=body(), headers=JSON | {"content-length": str(3 * 1024 * 1024)}
    )
    _assert_error(response, 413, "body_too_large", "the limit is 2097152 bytes")
    assert sent == []  # not a byte of it asked for


async def test_a_chunked_body_over_the_limit_gets_413(client):
    async def chunks():
        yield b'{"text": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}'

    response = await client.post("/predict", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    _assert_error(response, 413, "body_too_large", "over 2097152 bytes")


# The error shape


@pytest.mark.parametrize(
    ("body", "status", "kind", "words"),
    [
        (b'{"text": "unterminated', 400, "invalid_json", "body is not valid JSON"),
        (b"{}", 422, "invalid_request", "text: Field required"),
        (b'{"text": 42}', 422, "invalid_request", "valid string"),
        (b'{"text": ""}', 422, "invalid_request", "text is empty"),
        (b'{"text": " \\n\\t\\u3000\\u001c "}', 422, "invalid_request", "text is empty"),
    ],
)
async def test_bad_bodies_get_the_json_error_shape(client, body, status, kind, words):
    response = await client.post("/predict", content=body, headers=JSON)
    body = _assert_error(response, status, kind, words)
    if status == 422:
        assert body["error"]["details"][0]["field"] == "text"


async def test_whitespace_is_what_str_isspace_says_and_the_pattern_agrees():
    """The schema's pattern and the check are one regex; it must mean 'not str.isspace()'."""
    pattern = re.compile(NOT_BLANK)
    for code in range(0x10000):
        char = chr(code)
        assert (pattern.fullmatch(char) is None) is char.isspace(), hex(code)


# The limits: declared in the document, enforced by the service


async def test_the_document_declares_the_limits_of_the_settings_it_runs_with():
    async with _client(_app(max_text_chars=300, max_batch=7), lifespan=False) as client:
        document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    text = schemas["PredictRequest"]["properties"]["text"]
    assert (text["minLength"], text["maxLength"], text["pattern"]) == (1, 300, NOT_BLANK)
    texts = schemas["BatchPredictRequest"]["properties"]["texts"]
    assert (texts["minItems"], texts["maxItems"]) == (1, 7)
    assert (texts["items"]["minLength"], texts["items"]["maxLength"]) == (1, 300)
    assert "whitespace" in text["description"]


async def test_the_declared_limits_are_the_ones_enforced(client):
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    longest = schemas["PredictRequest"]["properties"]["text"]["maxLength"]
    most = schemas["BatchPredictRequest"]["properties"]["texts"]["maxItems"]
    assert (longest, most) == (5000, 64)

    assert (await client.post("/predict", json={"text": "a" * longest})).status_code == 200
    _assert_error(
        await client.post("/predict", json={"text": "a" * (longest + 1)}),
        422,
        "invalid_request",
        "limit is 5000 (SENTIMON_MAX_TEXT_CHARS)",
    )
    assert (await client.post("/predict/batch", json={"texts": ["ok"] * most})).status_code == 200
    _assert_error(
        await client.post("/predict/batch", json={"texts": ["ok"] * (most + 1)}),
        422,
        "invalid_request",
        "limit is 64 (SENTIMON_MAX_BATCH)",
    )


async def test_every_status_a_route_answers_is_in_the_document(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in POST_ROUTES:
        assert {"200", "400", "413", "415", "422", "503"} <= set(paths[path]["post"]["responses"])
    assert {"200", "503"} <= set(paths["/info"]["get"]["responses"])
    assert {"200", "503"} <= set(paths["/readyz"]["get"]["responses"])
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    assert paths["/predict"]["post"]["responses"]["503"]["content"]["application/json"] == {
        "schema": error
    }


async def test_before_the_model_is_loaded_the_routes_that_need_it_answer_503():
    async with _client(_app(), lifespan=False) as client:
        for path in ("/predict", "/explain"):
            response = await client.post(path, json={"text": "hi"})
            _assert_error(response, 503, "unavailable", "model not loaded yet")
        response = await client.post("/predict/batch", json={"texts": ["hi"]})
        _assert_error(response, 503, "unavailable", "model not loaded yet")
        _assert_error(await client.get("/info"), 503, "unavailable", "model not loaded yet")
        response = await client.post("/feedback", json={"feedback_token": "t", "label": "x"})
        _assert_error(response, 503, "unavailable", "feedback is off")
        response = await client.get("/readyz")
        assert (response.status_code, response.json()) == (503, {"status": "loading"})


# Security headers


def _assert_not_sniffed_or_framed(response: httpx.Response) -> str:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    return policy


async def test_the_web_page_forbids_sniffing_framing_and_other_origins(client):
    page = await client.get("/")
    assert page.status_code == 200
    policy = _assert_not_sniffed_or_framed(page)
    assert "default-src 'self'" in policy
    assert page.headers.get_list("content-security-policy") == [policy]  # one policy, not two
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        response = await client.get(asset)
        assert response.status_code == 200, asset
        _assert_not_sniffed_or_framed(response)


async def test_every_api_response_carries_nosniff(client):
    responses = [
        await client.post("/predict", json={"text": "I love it"}),
        await client.post("/predict", json={"text": ""}),
        await client.post("/predict", content=b"x", headers={"content-type": "text/plain"}),
        await client.get("/predict"),
        await client.get("/nope"),
        await client.get("/healthz"),
        await client.get("/readyz"),
        await client.get("/openapi.json"),
        await client.get("/metrics"),
    ]
    for response in responses:
        _assert_not_sniffed_or_framed(response)


async def test_even_a_crash_carries_nosniff():
    async with _client(_app(fault_injection=True)) as client:
        response = await client.post(
            "/predict", json={"text": "hi"}, headers={"x-inject-fault": "error"}
        )
    _assert_error(response, 500, "internal_error")
    _assert_not_sniffed_or_framed(response)


# The docs pages


def _urls(html: str) -> list[str]:
    """Every URL the page names: attributes, the Swagger UI `url:` and any absolute URL."""
    found = re.findall(r'(?:src|href)="([^"]*)"', html)
    found += re.findall(r"url: '([^']*)'", html)
    found += re.findall(r"""(?:https?:)?//[^\s"'<>)]+""", html)
    return found


async def test_the_docs_load_everything_from_this_origin(client):
    response = await client.get("/docs")
    assert response.status_code == 200
    urls = _urls(response.text)
    assert len(urls) >= 4, urls  # the document, a script, a style sheet, an icon
    for url in urls:
        absolute = urljoin(f"{BASE}/docs", url)
        assert urlsplit(absolute).netloc == "testserver", f"/docs loads {url} from elsewhere"
        asset = await client.get(absolute)
        assert asset.status_code == 200, url
        assert asset.headers["x-content-type-options"] == "nosniff"
    assert '"validatorUrl": null' in response.text
    policy = _assert_not_sniffed_or_framed(response)
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert (await client.get("/redoc")).status_code == 404


async def test_docs_can_be_turned_off_leaving_the_document():
    async with _client(_app(api_docs=False), lifespan=False) as client:
        for path in ("/docs", "/docs/assets/swagger-ui-bundle.js"):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.get("/openapi.json")).status_code == 200

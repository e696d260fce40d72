"""The reference mock in faithful mode: each pipeline step, their order, hostile input, serving and the command."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from dodo_contract.errors import ConfigError
from dodo_contract.frontends.cli import main
from dodo_contract.mock import app as mock_module
from dodo_contract.mock.app import MAX_BODY_BYTES, create_app, serve_mock
from dodo_contract.mock.faults import FAULTS
from dodo_contract.validation.validator import validate_error, validate_response

KEY = "sk_test_mock_key_0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
CASES = Path(__file__).parent / "cases" / "mock"
CATALOG = CASES / "catalog.json"
BASE: dict[str, Any] = {
    "billing": {"country": "US"},
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "product_cart": [{"product_id": "prod_basic", "quantity": 1}],
}
_UNSET: Any = object()


def call(
    app: Any,
    method: str = "POST",
    path: str = "/payments",
    *,
    body: Any = _UNSET,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one request to the app in-process and return the answer."""

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            kwargs: dict[str, Any] = {"headers": AUTH if headers is None else headers}
            if body is not _UNSET:
                kwargs["json"] = body
            elif content is not None:
                kwargs["content"] = content
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def with_(**changes: Any) -> dict[str, Any]:
    """Return BASE with top-level keys replaced (a value of ``_UNSET`` deletes the key)."""
    request = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is _UNSET:
            request.pop(key, None)
        else:
            request[key] = value
    return request


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert validate_error(body).ok, body
    assert body["code"] == code, body
    assert "Traceback" not in response.text
    return body


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app(fixtures=CATALOG, api_key=KEY, seed=7)


def ok(app: Any, request: dict[str, Any]) -> dict[str, Any]:
    response = call(app, body=request)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert validate_response(body).ok, validate_response(body).violations
    return body


# --- 1. auth -------------------------------------------------------------------------------------------------


def test_valid_request_gets_a_conforming_200(app: Any) -> None:
    body = ok(app, BASE)
    assert body["payment_id"].startswith("pay_")
    assert body["total_amount"] == 1000


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": KEY},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": f"Bearer {KEY}x"},
        {"Authorization": "Bearer "},
    ],
    ids=["missing", "wrong", "no-scheme", "basic", "longer", "empty"],
)
def test_missing_or_wrong_key_is_401(app: Any, headers: dict[str, str]) -> None:
    body = assert_error(call(app, body=BASE, headers=headers), 401, "UNAUTHORIZED")
    assert body == {"code": "UNAUTHORIZED", "message": "You are not authorised to perform this action"}


def test_bearer_scheme_is_case_insensitive(app: Any) -> None:
    assert call(app, body=BASE, headers={"Authorization": f"bearer {KEY}"}).status_code == 200


# --- 2. route and the order of the steps ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/payments/", "/payment", "/payments/pay_1", "/PAYMENTS"])
def test_unknown_path_is_404(app: Any, path: str) -> None:
    assert_error(call(app, path=path, body=BASE), 404, "NOT_FOUND")


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_wrong_method_is_405_with_allow(app: Any, method: str) -> None:
    response = call(app, method, content=b"{}")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("method", "path", "headers", "content", "status", "code"),
    [
        ("GET", "/nowhere", {}, b"not json", 401, "UNAUTHORIZED"),  # auth before route
        ("GET", "/payments", {}, b"", 401, "UNAUTHORIZED"),  # auth before method
        ("POST", "/nowhere", AUTH, b"not json", 404, "NOT_FOUND"),  # route before body
        ("GET", "/payments", AUTH, b"not json", 405, "METHOD_NOT_ALLOWED"),  # method before body
        ("POST", "/payments", AUTH, b"[" * (MAX_BODY_BYTES + 1), 413, "PAYLOAD_TOO_LARGE"),  # size before JSON
        ("POST", "/payments", AUTH, b'{"product_cart": [], "billing": 5', 422, "INVALID_REQUEST_BODY"),
    ],
)
def test_first_failing_step_wins(
    app: Any, method: str, path: str, headers: dict[str, str], content: bytes, status: int, code: str
) -> None:
    assert_error(call(app, method, path, content=content, headers=headers), status, code)


def test_schema_is_judged_before_business_rules(app: Any) -> None:
    request = with_(billing={"country": "us"}, discount_code="NOPE")
    assert_error(call(app, body=request), 422, "INVALID_REQUEST_BODY")


# --- 3. body -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"\xff\xfe{}",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b"[]",
        b'"text"',
        b"null",
        b"1",
        b'{"a": 1} trailing',
        '{"billing": "\u00e9"}'.encode("latin-1"),
    ],
    ids=["empty", "text", "bad-utf8", "nan", "infinity", "array", "string", "null", "number", "trailing", "latin1"],
)
def test_unparseable_or_non_object_body_is_invalid_request_body(app: Any, content: bytes) -> None:
    body = assert_error(call(app, content=content), 422, "INVALID_REQUEST_BODY")
    assert body["violations"], body


def test_body_of_exactly_the_limit_is_read(app: Any) -> None:
    text = json.dumps(BASE).encode()
    assert call(app, content=text + b" " * (MAX_BODY_BYTES - len(text))).status_code == 200


def _asgi_post(app: Any, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, Any], int]:
    """Call the app with a body in chunks; return status, JSON body, and how many chunks the app read."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/payments",
        "raw_path": b"/payments",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", f"Bearer {KEY}".encode()), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body), read


def test_declared_10mb_body_is_refused_without_reading_it(app: Any) -> None:
    chunk = b" " * 65536
    status, body, read = _asgi_post(app, [chunk] * 160, [(b"content-length", str(160 * 65536).encode())])
    assert (status, body["code"], read) == (413, "PAYLOAD_TOO_LARGE", 0)


def test_streamed_10mb_body_stops_reading_at_the_limit(app: Any) -> None:
    chunk = b" " * 65536
    status, body, read = _asgi_post(app, [chunk] * 160, [])
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert read <= MAX_BODY_BYTES // 65536 + 2


def test_body_in_several_chunks_is_joined(app: Any) -> None:
    text = json.dumps(BASE).encode()
    status, body, _ = _asgi_post(app, [text[:10], text[10:20], text[20:]], [])
    assert status == 200, body


def test_client_disconnecting_mid_body_gets_a_json_answer(app: Any) -> None:
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read == 1:
            return {"type": "http.request", "body": b'{"billing":', "more_body": True}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/payments",
        "headers": [(b"authorization", AUTH["Authorization"].encode())],
        "query_string": b"",
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 400
    assert validate_error(json.loads(sent[1]["body"])).ok


# --- 4 and 5. schema violations and the documented prose rules -----------------------------------------------


def test_schema_violation_names_the_first_field_and_lists_every_violation(app: Any) -> None:
    request = with_(billing={"country": "us"}, product_cart=[{"product_id": "prod_basic", "quantity": -1}])
    body = assert_error(call(app, body=request), 422, "INVALID_REQUEST_BODY")
    assert "/billing/country" in body["message"]
    rules = [v["rule"] for v in body["violations"]]
    assert rules == ["billing.country.enum", "product_cart.items.quantity.minimum"]
    assert body["violations"][0]["pointer"] == "/billing/country"


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (with_(product_cart=[]), "PRODUCT_CART_EMTPY"),  # the docs: "the exact value the API returns"
        (with_(metadata={f"k{i}": "v" for i in range(51)}), "MAXIMUM_KEYS_REACHED"),
        (with_(payment_method_id="pm_ada_card"), "INVALID_REQUEST_PARAMETERS"),
        (with_(product_cart=[], billing={"country": "XX"}), "INVALID_REQUEST_BODY"),  # not the only violation
        (with_(product_cart=[{"product_id": "prod_basic", "quantity": 1}] * 101), "INVALID_REQUEST_BODY"),
        (with_(metadata={"k" * 41: "v"}), "INVALID_REQUEST_BODY"),
        (with_(metadata={"k": "v" * 501}), "INVALID_REQUEST_BODY"),
        (with_(billing=_UNSET), "INVALID_REQUEST_BODY"),
        (with_(return_url="return_url"), "INVALID_REQUEST_BODY"),
        (with_(customer={}), "INVALID_REQUEST_BODY"),
    ],
    ids=[
        "empty-cart",
        "51-metadata",
        "pm-without-customer-id",
        "empty-cart-and-bad-country",
        "101-items",
        "long-key",
        "long-value",
        "no-billing",
        "relative-url",
        "empty-customer",
    ],
)
def test_prose_rules_use_their_documented_code_only_when_alone(app: Any, request_: Any, code: str) -> None:
    assert_error(call(app, body=request_), 422, code)


@pytest.mark.parametrize(
    "request_",
    [
        with_(metadata={f"k{i}": "v" * 500 for i in range(50)}),
        with_(product_cart=[{"product_id": "prod_basic", "quantity": 0}] * 100),
        with_(customer={"customer_id": "cus_ada", "email": "someone@example.com"}),  # first form wins
        with_(customer={"customer_id": "cus_ada"}, payment_method_id="pm_ada_card"),
        with_(return_url="https://example.com/done?x=1", unknown_key={"nested": [1, 2]}),
    ],
    ids=["metadata-at-limits", "100-items-quantity-0", "id-and-email", "pm-with-customer-id", "url-and-unknown"],
)
def test_edge_values_the_contract_allows_are_accepted(app: Any, request_: Any) -> None:
    ok(app, request_)


# --- 6. business rules ---------------------------------------------------------------------------------------

BUSINESS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # (name, valid counterpart, invalid request, code)
    ("product", with_(), with_(product_cart=[{"product_id": "prod_nope", "quantity": 1}]), "NOT_FOUND"),
    ("customer", with_(customer={"customer_id": "cus_ada"}), with_(customer={"customer_id": "cus_nope"}), "NOT_FOUND"),
    (
        "payment-method",
        with_(customer={"customer_id": "cus_ada"}, payment_method_id="pm_ada_card"),
        with_(customer={"customer_id": "cus_grace"}, payment_method_id="pm_ada_card"),
        "INVALID_REQUEST_PARAMETERS",
    ),
    ("discount", with_(discount_code="SAVE10"), with_(discount_code="save10"), "INVALID_DISCOUNT_CODE"),
    ("tax-id", with_(tax_id="DE123456789"), with_(tax_id="DE000"), "INVALID_TAX_ID"),
    ("currency", with_(billing_currency="INR"), with_(billing_currency="EUR"), "UNSUPPORTED_CURRENCY"),
    ("country", with_(billing={"country": "DE"}), with_(billing={"country": "KP"}), "UNSUPPORTED_COUNTRY"),
    (
        "payment-methods",
        with_(allowed_payment_method_types=["klarna", "ach"]),
        with_(allowed_payment_method_types=["klarna"]),
        "NO_ELIGIBLE_PAYMENT_METHODS",
    ),
    (
        "no-payment-methods",
        with_(allowed_payment_method_types=None),
        with_(allowed_payment_method_types=[]),
        "NO_ELIGIBLE_PAYMENT_METHODS",
    ),
    (
        "pwyw-amount",
        with_(product_cart=[{"product_id": "prod_tip", "quantity": 1, "amount": 100}]),
        with_(product_cart=[{"product_id": "prod_tip", "quantity": 1}]),
        "PAY_AS_YOU_WANT_AMOUNT_REQUIRED",
    ),
    (
        "pwyw-null-amount",
        with_(product_cart=[{"product_id": "prod_tip", "quantity": 1, "amount": 250}]),
        with_(product_cart=[{"product_id": "prod_tip", "quantity": 1, "amount": None}]),
        "PAY_AS_YOU_WANT_AMOUNT_REQUIRED",
    ),
    (
        "pwyw-minimum",
        with_(product_cart=[{"product_id": "prod_tip", "quantity": 2, "amount": 100}]),
        with_(product_cart=[{"product_id": "prod_tip", "quantity": 1, "amount": 99}]),
        "REQUEST_AMOUNT_BELOW_MINIMUM",
    ),
]


@pytest.mark.parametrize(("valid", "invalid", "code"), [c[1:] for c in BUSINESS], ids=[c[0] for c in BUSINESS])
def test_business_rule(app: Any, valid: dict[str, Any], invalid: dict[str, Any], code: str) -> None:
    ok(app, valid)
    body = assert_error(call(app, body=invalid), 422, code)
    assert "violations" not in body


def test_business_rules_follow_the_documented_order(app: Any) -> None:
    everything_wrong = with_(
        product_cart=[{"product_id": "prod_basic", "quantity": 1}, {"product_id": "prod_nope", "quantity": 1}],
        customer={"customer_id": "cus_nope"},
        billing={"country": "KP"},
        billing_currency="EUR",
        allowed_payment_method_types=["klarna"],
        discount_code="NOPE",
        tax_id="NOPE",
    )
    expected = [
        "NOT_FOUND",
        "NOT_FOUND",
        "UNSUPPORTED_COUNTRY",
        "UNSUPPORTED_CURRENCY",
        "NO_ELIGIBLE_PAYMENT_METHODS",
        "INVALID_DISCOUNT_CODE",
        "INVALID_TAX_ID",
    ]
    fixes: list[Callable[[dict[str, Any]], None]] = [
        lambda r: r.update(product_cart=r["product_cart"][:1]),
        lambda r: r.update(customer={"customer_id": "cus_grace"}),
        lambda r: r.update(billing={"country": "US"}),
        lambda r: r.update(billing_currency="USD"),
        lambda r: r.update(allowed_payment_method_types=["ach"]),
        lambda r: r.update(discount_code="SAVE10"),
        lambda r: r.update(tax_id="DE123456789"),
    ]
    seen = []
    for fix in fixes:
        seen.append(call(app, body=everything_wrong).json()["code"])
        fix(everything_wrong)
    assert seen == expected
    ok(app, everything_wrong)


# --- 7. the 200 body -----------------------------------------------------------------------------------------


def test_new_customer_and_values_are_echoed(app: Any) -> None:
    cart = [
        {"product_id": "prod_basic", "quantity": 2, "amount": 5},
        {"product_id": "prod_tip", "quantity": 3, "amount": 150},
    ]
    request = with_(
        customer={"email": "x.y@example.org", "phone_number": "+44"},
        product_cart=cart,
        metadata={"order": "42", "é": "ü"},
    )
    body = ok(app, request)
    assert body["customer"]["customer_id"].startswith("cus_")
    assert body["customer"] | {"customer_id": None} == {
        "customer_id": None,
        "email": "x.y@example.org",
        "name": "x.y",
        "phone_number": "+44",
    }
    assert body["metadata"] == {"order": "42", "é": "ü"}
    assert body["product_cart"] == cart
    assert body["total_amount"] == 1000 * 2 + 150 * 3  # amount counts only for pay-what-you-want
    assert "payment_link" not in body
    assert "expires_on" not in body
    assert "discount_id" not in body


def test_existing_customer_comes_from_the_catalog(app: Any) -> None:
    body = ok(app, with_(customer={"customer_id": "cus_ada", "email": "other@example.com"}))
    assert body["customer"] == {
        "customer_id": "cus_ada",
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "phone_number": "+14155550100",
    }
    assert body["metadata"] == {}


@pytest.mark.parametrize(
    ("cart", "code", "total", "discount_id"),
    [
        ([{"product_id": "prod_pro", "quantity": 3}], "SAVE10", 14700 - 1470, "dsc_save10"),
        ([{"product_id": "prod_basic", "quantity": 1}, {"product_id": "prod_pro", "quantity": 0}], None, 1000, None),
        ([{"product_id": "prod_pro", "quantity": 1}], "FREE", 0, "dsc_free"),
        ([{"product_id": "prod_max", "quantity": 2147483647}], None, 2147483647, None),
        ([{"product_id": "prod_basic", "quantity": 1}], None, 1000, None),
    ],
    ids=["discount", "quantity-0", "100-percent", "capped", "no-discount-code"],
)
def test_total_amount(app: Any, cart: list[Any], code: str | None, total: int, discount_id: str | None) -> None:
    body = ok(app, with_(product_cart=cart, discount_code=code))
    assert body["total_amount"] == total
    assert body.get("discount_id") == discount_id


def test_integral_floats_are_integers_everywhere_the_mock_reads_one(app: Any) -> None:
    # JSON Schema: 1.0 IS the integer 1 (Schemathesis sends such values). It must be charged and echoed as 1.
    body = ok(app, with_(product_cart=[{"product_id": "prod_basic", "quantity": 1.0}]))
    assert body["total_amount"] == 1000
    assert body["product_cart"] == [{"product_id": "prod_basic", "quantity": 1}]
    two = ok(app, with_(product_cart=[{"product_id": "prod_pro", "quantity": 2.0}], discount_code="SAVE10"))
    assert two["total_amount"] == 9800 - 980
    tip = ok(app, with_(product_cart=[{"product_id": "prod_tip", "quantity": 1, "amount": 700.0}]))
    assert tip["total_amount"] == 700
    assert tip["product_cart"][0]["amount"] == 700


@pytest.mark.parametrize("short", [False, True, None])
def test_payment_link_and_future_expiry_only_when_asked(app: Any, short: bool | None) -> None:
    from datetime import UTC, datetime

    body = ok(app, with_(payment_link=True, short_link=short))
    assert body["payment_link"].startswith("https://")
    assert (body["payment_id"] in body["payment_link"]) is not bool(short)
    assert datetime.fromisoformat(body["expires_on"]) > datetime.now(UTC)
    for flag in (False, None):
        assert "payment_link" not in ok(app, with_(payment_link=flag))


def test_payment_ids_are_unique_and_seeded(app: Any) -> None:
    ids = [ok(app, BASE)["payment_id"] for _ in range(100)]
    assert len(set(ids)) == 100
    first = [ok(create_app(fixtures=CATALOG, api_key=KEY, seed=3), BASE)["payment_id"] for _ in range(2)]
    again = [ok(create_app(fixtures=CATALOG, api_key=KEY, seed=3), BASE)["payment_id"] for _ in range(2)]
    other = ok(create_app(fixtures=CATALOG, api_key=KEY, seed=4), BASE)["payment_id"]
    assert first == again
    assert other != first[0]


# --- hostile input -------------------------------------------------------------------------------------------


def test_hostile_bodies_never_crash_or_leak(app: Any) -> None:
    rng = random.Random(1234)
    bodies = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) for _ in range(60)]
    bodies += [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"a": "\\ud800"}',
        b"\x00" * 100,
        b"{" * 100_000,
        b'{"billing": {"country": "\\u0000"}}',
    ]
    for content in bodies:
        response = call(app, content=content)
        assert response.status_code in (200, 422), response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert validate_error(body).ok or validate_response(body).ok
        assert "Traceback" not in response.text
        assert 'File "' not in response.text


def test_lone_surrogates_and_unicode_are_echoed_as_valid_json(app: Any) -> None:
    content = json.dumps(with_(metadata={"k": "\ud800 \U0001f600"}, customer={"email": "ü@ex.com"})).encode()
    response = call(app, content=content)
    assert response.status_code == 200
    assert json.loads(response.content)["metadata"] == {"k": "\ud800 \U0001f600"}


def test_unexpected_exception_is_a_json_500_without_traceback(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(mock_module, "business_error", boom)
    body = assert_error(call(app, body=BASE), 500, "INTERNAL_SERVER_ERROR")
    assert "secret internals" not in json.dumps(body)


# --- configuration -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("bad_catalog_price.json", "products[1].price"),
        ("bad_catalog_not_json.json", "not valid JSON"),
        ("bad_catalog_currency.json", "DOLLARS"),
        ("missing.json", "cannot read"),
    ],
)
def test_malformed_catalog_is_a_config_error_naming_the_entry(name: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        create_app(fixtures=CASES / name, api_key=KEY)


def test_toml_catalog_and_mapping_catalog() -> None:
    toml_app = create_app(fixtures=CASES / "catalog.toml", api_key=KEY)
    assert ok(toml_app, with_(product_cart=[{"product_id": "prod_toml", "quantity": 2}]))["total_amount"] == 1400
    mapping_app = create_app(fixtures={"products": [{"id": "p", "price": 5}]}, api_key=KEY)
    assert ok(mapping_app, with_(product_cart=[{"product_id": "p", "quantity": 1}]))["total_amount"] == 5


@pytest.mark.parametrize(("kwargs", "fragment"), [({"api_key": ""}, "api_key"), ({"fault": "nope"}, "unknown fault")])
def test_bad_options_are_config_errors(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        create_app(**{"api_key": KEY, **kwargs})


# --- over loopback -------------------------------------------------------------------------------------------


def test_serve_mock_answers_over_http_and_stops() -> None:
    with serve_mock(fixtures=CATALOG, api_key=KEY, seed=1) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert not server.url.endswith("/")
        with httpx.Client(base_url=server.url, headers=AUTH) as client:
            assert client.post("/payments", json=BASE).status_code == 200
            assert client.post("/payments", json=BASE, headers={"Authorization": "Bearer no"}).status_code == 401
            assert client.head("/payments").status_code == 405
        port = server.port
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_serve_mock_generates_a_key_when_none_is_given() -> None:
    with serve_mock() as server, httpx.Client(base_url=server.url) as client:
        assert len(server.api_key) > 20
        response = client.post(
            "/payments",
            json={**BASE, "product_cart": [{"product_id": "prod_basic", "quantity": 1}]},
            headers={"Authorization": f"Bearer {server.api_key}"},
        )
        assert response.status_code == 200


def test_declared_10mb_body_over_loopback_is_refused_before_it_is_sent() -> None:
    with serve_mock(api_key=KEY) as server, socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(
            f"POST /payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {10 * 1024 * 1024}\r\n\r\n".encode()
            + b"{" * 1000
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413 ")


def test_port_in_use_is_a_config_error() -> None:
    with (
        serve_mock(api_key=KEY) as server,
        pytest.raises(ConfigError, match="cannot listen"),
        serve_mock(api_key=KEY, port=server.port),
    ):
        pass


# --- the command ---------------------------------------------------------------------------------------------


def test_list_faults_prints_one_line_per_fault() -> None:
    out = io.StringIO()
    assert main(["mock", "--list-faults"], stdout=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == len(FAULTS) >= 22
    assert [line.split(": ", 1)[0] for line in lines] == list(FAULTS)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--catalog", str(CASES / "bad_catalog_price.json")], "products[1].price"),
        (["--fault", "no_such_fault"], "unknown fault"),
        (["--port", "70000"], "port"),
        (["--port", "{busy}"], "cannot listen on 127.0.0.1:"),
    ],
)
def test_bad_mock_options_exit_2_with_a_clear_message(argv: list[str], fragment: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        argv = [a.replace("{busy}", str(busy.getsockname()[1])) for a in argv]
        assert main(["mock", "--api-key", "sk_cli_secret_key", *argv], stdout=out, stderr=err) == 2
    assert fragment in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert "sk_cli_secret_key" not in err.getvalue() + out.getvalue()


def _run_command(extra: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dodo_contract.frontends.cli", "mock", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    return proc, first


@pytest.mark.parametrize("how", ["option", "env", "generated"])
def test_mock_command_serves_until_sigterm(how: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DODO_API_KEY", "DODO_PAYMENTS_API_KEY")}
    extra = ["--catalog", str(CATALOG), "--fault", "status_201"]
    if how == "option":
        extra += ["--api-key", "sk_cli_secret_key"]
    elif how == "env":
        env["DODO_PAYMENTS_API_KEY"] = "sk_cli_secret_key"
    proc, first = _run_command(extra, env)
    try:
        assert first.startswith("dodo-contract mock listening on http://127.0.0.1:"), first
        url = first.split(" on ", 1)[1].strip()
        if how == "generated":
            key_line = proc.stdout.readline()  # type: ignore[union-attr]
            key = key_line.split("generated API key ", 1)[1].split()[0]
        else:
            key = "sk_cli_secret_key"
        response = httpx.post(url + "/payments", json=BASE, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 201  # the fault mode is on
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    if how != "generated":
        assert "sk_cli_secret_key" not in first + out + err

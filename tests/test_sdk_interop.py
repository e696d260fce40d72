"""The official SDK (``dodopayments`` 1.123.0, strict response validation) against the mock over loopback.

The SDK's own example payloads are sent unchanged where the contract allows: ``return_url: "return_url"``
(requests 02 and 03) is not an absolute URL, so the mock answers 422 for them as published, and 200 once
the URL is replaced by an https one. ``tests/cases/mock/sdk_catalog.json`` knows every id they use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

dodopayments = pytest.importorskip("dodopayments")

from dodopayments.types import PaymentCreateResponse  # noqa: E402

from dodo_contract.mock.app import MockServer, serve_mock  # noqa: E402

KEY = "sk_test_sdk_interop_0123456789"
CASES = Path(__file__).parent / "cases" / "mock"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # payments.create is deprecated in 1.123


def example(name: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((CASES / name).read_text(encoding="utf-8"))
    return {**payload, **changes}


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with serve_mock(fixtures=CASES / "sdk_catalog.json", api_key=KEY, seed=11) as running:
        yield running


@pytest.fixture
def client(server: MockServer) -> Iterator[Any]:
    with dodopayments.DodoPayments(
        bearer_token=KEY, base_url=server.url, _strict_response_validation=True, max_retries=0
    ) as sdk:
        yield sdk


def test_minimal_example_parses(client: Any) -> None:
    payment = client.payments.create(**example("sdk_request_01_minimal.json"))
    assert isinstance(payment, PaymentCreateResponse)
    assert payment.payment_id.startswith("pay_")
    assert payment.customer.customer_id == "customer_id"
    assert payment.total_amount == 0  # quantity 0
    assert payment.payment_link is None


@pytest.mark.parametrize("name", ["sdk_request_02_all_params_1.84.1.json", "sdk_request_03_all_params_1.123.0.json"])
def test_all_params_example_with_an_absolute_return_url_parses(client: Any, name: str) -> None:
    sent = example(name, return_url="https://example.com/return")
    sent.pop("discount_codes", None)  # 1.113.0: never together with discount_code (the SDK's example sends both)
    payment = client.payments.create(**sent)
    assert isinstance(payment, PaymentCreateResponse)
    assert payment.discount_id == "dsc_sdk"
    assert payment.metadata == {"foo": "string"}
    assert payment.payment_link is not None
    assert payment.payment_link.startswith("https://")
    assert payment.expires_on is not None
    assert payment.expires_on > datetime.now(UTC)
    assert payment.product_cart is not None
    assert payment.product_cart[0].product_id == "product_id"


@pytest.mark.parametrize("name", ["sdk_request_02_all_params_1.84.1.json", "sdk_request_03_all_params_1.123.0.json"])
def test_all_params_example_as_published_is_refused_for_its_relative_return_url(client: Any, name: str) -> None:
    with pytest.raises(dodopayments.UnprocessableEntityError) as caught:
        client.payments.create(**example(name))
    assert caught.value.status_code == 422
    assert caught.value.body["code"] == "INVALID_REQUEST_BODY"
    assert "return_url.pattern" in {v["rule"] for v in caught.value.body["violations"]}


def test_new_customer_with_pay_what_you_want(client: Any) -> None:
    payment = client.payments.create(
        billing={"country": "IN"},
        customer={"email": "ravi@example.in", "name": "Ravi", "phone_number": "+919800000000"},
        product_cart=[{"product_id": "tip", "quantity": 2, "amount": 250}],
        metadata={"order": "A-1"},
        billing_currency="INR",
    )
    assert isinstance(payment, PaymentCreateResponse)
    assert payment.customer.email == "ravi@example.in"
    assert payment.customer.name == "Ravi"
    assert payment.total_amount == 500


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"product_cart": []}, "PRODUCT_CART_EMTPY"),
        ({"billing": {"country": "af"}}, "INVALID_REQUEST_BODY"),
        ({"product_cart": [{"product_id": "product_id", "quantity": -1}]}, "INVALID_REQUEST_BODY"),
        ({"product_cart": [{"product_id": "tip", "quantity": 1}]}, "PAY_AS_YOU_WANT_AMOUNT_REQUIRED"),
        ({"billing": {"country": "KP"}}, "UNSUPPORTED_COUNTRY"),
    ],
)
def test_invalid_bodies_raise_unprocessable_entity(client: Any, changes: dict[str, Any], code: str) -> None:
    with pytest.raises(dodopayments.UnprocessableEntityError) as caught:
        client.payments.create(**example("sdk_request_01_minimal.json", **changes))
    assert caught.value.body["code"] == code


def test_wrong_key_raises_authentication_error(server: MockServer) -> None:
    with (
        dodopayments.DodoPayments(
            bearer_token="sk_wrong", base_url=server.url, _strict_response_validation=True, max_retries=0
        ) as sdk,
        pytest.raises(dodopayments.AuthenticationError) as caught,
    ):
        sdk.payments.create(**example("sdk_request_01_minimal.json"))
    assert caught.value.status_code == 401
    assert caught.value.body["code"] == "UNAUTHORIZED"

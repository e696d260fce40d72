"""The official SDK (``dodopayments`` 1.123.0, strict response validation) against the mock over loopback.

Against the mock of each bundled spec version (every test runs for both), and the 1.113.0 answers the 1.86.0
mock never gives (numeric metadata, stacked ``discount_ids``).

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

from dodo_contract.contract.versions import BUNDLED  # noqa: E402
from dodo_contract.mock.app import MockServer, serve_mock  # noqa: E402

KEY = "sk_test_sdk_interop_0123456789"
CASES = Path(__file__).parent / "cases" / "mock"
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # payments.create is deprecated in 1.123


def example(name: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((CASES / name).read_text(encoding="utf-8"))
    return {**payload, **changes}


@pytest.fixture(scope="module", params=BUNDLED)
def server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    catalog = CASES / "sdk_catalog.json"
    with serve_mock(fixtures=catalog, api_key=KEY, seed=11, spec_version=request.param) as running:
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


def test_a_1_113_0_answer_with_numeric_metadata_and_stacked_discount_ids_parses(
    client: Any, server: MockServer
) -> None:
    metadata = {"count": 5, "ratio": 1.5, "gift": True, "note": "n"}
    sent = example("sdk_request_01_minimal.json", metadata=metadata, discount_codes=["SPRING", "discount_code"])
    sent["product_cart"] = [{"product_id": "product_id", "quantity": 2}]
    if server.spec_version == "1.86.0":
        with pytest.raises(dodopayments.UnprocessableEntityError) as caught:  # metadata values are strings there
            client.payments.create(**sent)
        assert caught.value.body["code"] == "INVALID_REQUEST_BODY"
        return
    raw = client.payments.with_raw_response.create(**sent)
    wire = json.loads(raw.text())["metadata"]
    assert [type(wire[k]) for k in metadata] == [int, float, bool, str]  # on the wire, the types as sent
    payment = raw.parse()
    assert isinstance(payment, PaymentCreateResponse)
    assert payment.metadata == metadata  # the SDK reads 5 as 5.0 (Union[str, float, bool]); equal all the same
    assert payment.discount_ids == ["dsc_spring", "dsc_sdk"]
    assert payment.discount_id == "dsc_spring"  # the first applied
    assert payment.total_amount == (3000 - 3000 * 50 // 100) - (3000 - 3000 * 50 // 100) * 20 // 100


def test_the_1_86_0_mock_ignores_discount_codes_the_sdk_sends(client: Any, server: MockServer) -> None:
    sent = example("sdk_request_01_minimal.json", discount_codes=["SPRING"])
    sent["product_cart"] = [{"product_id": "product_id", "quantity": 2}]
    payment = client.payments.create(**sent)
    assert isinstance(payment, PaymentCreateResponse)
    if server.spec_version == "1.86.0":
        assert (payment.discount_id, payment.discount_ids, payment.total_amount) == (None, None, 3000)
    else:
        assert (payment.discount_id, payment.discount_ids, payment.total_amount) == ("dsc_spring", ["dsc_spring"], 1500)

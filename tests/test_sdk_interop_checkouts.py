"""The official SDK (``dodopayments`` 1.123.0, strict response validation) as a client of the mock's Checkout Sessions.

``client.checkout_sessions.create`` / ``retrieve`` against the mock of each bundled version; ``preview`` against
1.113.0, and against 1.86.0 the proof that the SDK's types do not allow it there: the SDK requires ``is_byop`` and
``payment_method_required``, which a 1.86.0 preview answer does not have (the SDK speaks the newer API).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

dodopayments = pytest.importorskip("dodopayments")

from dodopayments.types import (  # noqa: E402
    CheckoutSessionPreviewResponse,
    CheckoutSessionResponse,
    CheckoutSessionStatus,
)

from dodo_contract.contract.versions import BUNDLED  # noqa: E402
from dodo_contract.mock.app import MockServer, serve_mock  # noqa: E402

KEY = "sk_test_sdk_checkouts_0123456789"
LINE = {"product_id": "prod_basic", "quantity": 2}
FULL = {"country": "US", "street": "1 Main St", "city": "Springfield", "state": "IL", "zipcode": "62701"}


@pytest.fixture(scope="module", params=BUNDLED)
def server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    with serve_mock(api_key=KEY, seed=13, spec_version=request.param) as running:
        yield running


@pytest.fixture
def client(server: MockServer) -> Iterator[Any]:
    with dodopayments.DodoPayments(
        bearer_token=KEY, base_url=server.url, _strict_response_validation=True, max_retries=0
    ) as sdk:
        yield sdk


def test_create_then_retrieve_round_trips(client: Any) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    session = client.checkout_sessions.create(
        product_cart=[LINE], customer={"email": "sdk@example.com", "name": "SDK User"}, return_url="https://x.test/ok"
    )
    assert isinstance(session, CheckoutSessionResponse)
    assert session.session_id.startswith("cks_")
    assert session.checkout_url == f"https://test.checkout.dodopayments.com/session/{session.session_id}"
    status = client.checkout_sessions.retrieve(session.session_id)
    assert isinstance(status, CheckoutSessionStatus)
    assert status.id == session.session_id
    assert status.payment_id is None and status.payment_status is None
    assert before <= status.created_at <= datetime.now(UTC)
    assert (status.customer_email, status.customer_name) == ("sdk@example.com", "SDK User")


def test_a_saved_payment_method_session_has_no_checkout_url_and_a_payment(client: Any) -> None:
    session = client.checkout_sessions.create(
        product_cart=[LINE], confirm=True, customer={"customer_id": "cus_ada"}, billing_address=FULL,
        payment_method_id="pm_ada_card",
    )  # fmt: skip
    assert session.checkout_url is None
    status = client.checkout_sessions.retrieve(session.session_id)
    assert status.payment_status == "processing"
    assert status.payment_id is not None
    if "client_secret" in session.model_fields_set:  # 1.113.0 has the payment intent's fields
        assert status.payment_id == session.payment_id


def test_an_unknown_session_is_the_sdks_not_found_error(client: Any) -> None:
    with pytest.raises(dodopayments.NotFoundError) as caught:
        client.checkout_sessions.retrieve("cks_n010SZaY4NXc7F1ck3Tq1")
    assert caught.value.status_code == 404


def test_a_refusal_is_the_sdks_unprocessable_entity_error(client: Any) -> None:
    with pytest.raises(dodopayments.UnprocessableEntityError) as caught:
        client.checkout_sessions.create(product_cart=[{"product_id": "prod_nope", "quantity": 1}])
    assert caught.value.body["code"] == "NOT_FOUND"


def test_the_preview_parses_where_the_sdks_types_allow(client: Any, server: MockServer) -> None:
    sent: dict[str, Any] = {"product_cart": [{**LINE, "quantity": 3}], "billing_address": {"country": "US"}}
    if server.spec_version == "1.86.0":
        with pytest.raises(dodopayments.APIResponseValidationError):
            client.checkout_sessions.preview(**sent, discount_code="SAVE10")
        return
    preview = client.checkout_sessions.preview(**sent, discount_codes=["SAVE10"], locale="en")
    assert isinstance(preview, CheckoutSessionPreviewResponse)
    breakup = preview.current_breakup
    assert (breakup.subtotal, breakup.discount, breakup.total_amount) == (3000, 300, 2700)  # 3 x 1000, 10 % off
    assert preview.total_price == 2700 and preview.is_byop is False and preview.payment_method_required is True
    assert preview.product_cart[0].product_id == "prod_basic"


def test_a_subscription_preview_with_addons_and_a_trial_parses(client: Any, server: MockServer) -> None:
    if server.spec_version == "1.86.0":
        pytest.skip("the SDK's preview types need 1.113.0's is_byop (see the test above)")
    line = {"product_id": "prod_sub_monthly", "quantity": 1, "addons": [{"addon_id": "adn_extra_seat", "quantity": 2}]}
    preview = client.checkout_sessions.preview(product_cart=[line], subscription_data={"trial_period_days": 7})
    assert preview.current_breakup.total_amount == 0  # a free trial
    assert preview.recurring_breakup is not None and preview.recurring_breakup.total_amount == 2500  # 1500 + 2 x 500
    assert preview.trial_period_days == 7 and preview.next_billing_date is not None
    assert preview.product_cart[0].addons is not None and preview.product_cart[0].addons[0].quantity == 2

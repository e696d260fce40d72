"""A small faithful Checkout Sessions server for the engine's own tests, and its recording of every request line.

Deliberately minimal: it validates with dodo_contract's validator (the proof against an implementation written
apart is ``tests/independent_checkouts.py``), refuses what the default fixtures make checkable, keeps sessions in
memory and prices previews with the catalog. ``create_app(break_=NAME)`` turns on one realistic bug, so each new
check can be seen to fail; ``app.state.lines`` records every "METHOD /path" it received.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dodo_contract.contract.fixtures import Fixtures, default_fixtures
from dodo_contract.contract.versions import get_contract
from dodo_contract.validation.validator import validate_request

KEY = "sk_test_checkouts_app_key_0123456789"
BREAKS = (
    "checkout_url_with_payment_method",  # a checkout_url even when a saved method is charged
    "get_404",  # GET /checkouts/{id} never finds a session
    "get_200_unknown",  # GET of any id answers 200
    "payment_status_set",  # payment_status "processing" before any payment
    "created_at_future",  # created_at a day ahead
    "breakup_tax_forgotten",  # total_amount = subtotal - discount, tax left out of the sum
    "session_id_missing",  # create answer without session_id
    "preview_500",  # the preview crashes
    "get_without_key",  # GET needs no key
)


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def create_app(*, fixtures: Fixtures | None = None, spec_version: str | None = None, break_: str = "") -> Starlette:
    """Return the ASGI app; ``break_`` names one of ``BREAKS`` (or "" for the faithful server)."""
    fx = fixtures or default_fixtures()
    contract = get_contract(spec_version, operation="checkouts")
    sessions: dict[str, dict[str, Any]] = {}
    lines: list[str] = []

    def authorised(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {KEY}"

    def refusal(body: dict[str, Any]) -> JSONResponse | None:
        for item in body.get("product_cart") or []:
            if fx.product(str(item.get("product_id"))) is None:
                return _error(422, "NOT_FOUND", "product not found")
        if not body.get("product_cart") and fx.checkout.collection(str(body.get("product_collection_id"))) is None:
            return _error(422, "NOT_FOUND", "collection not found")
        customer = body.get("customer")
        if isinstance(customer, dict) and "customer_id" in customer:
            known = fx.customer(str(customer["customer_id"]))
            if known is None:
                return _error(422, "NOT_FOUND", "customer not found")
            method = body.get("payment_method_id")
            if method is not None and method not in known.payment_method_ids:
                return _error(422, "INVALID_REQUEST_PARAMETERS", "payment method not found")
        codes = body.get("discount_codes") or ([body["discount_code"]] if body.get("discount_code") else [])
        if any(fx.discount(c) is None for c in codes):
            return _error(422, "INVALID_DISCOUNT_CODE", "unknown discount code")
        address = body.get("billing_address")
        if isinstance(address, dict) and address.get("country") in fx.unsupported_countries:
            return _error(422, "UNSUPPORTED_COUNTRY", "country not supported")
        if body.get("tax_id") is not None and body["tax_id"] not in fx.tax_ids:
            return _error(422, "INVALID_TAX_ID", "tax id invalid")
        return None

    async def parse(request: Request) -> dict[str, Any] | Response:
        if not authorised(request):
            return _error(401, "UNAUTHORIZED", "bad key")
        raw = await request.body()
        result = validate_request(raw, spec_version=contract)
        if not result.ok:
            return _error(422, "INVALID_REQUEST_BODY", result.violations[0].message)
        body: dict[str, Any] = json.loads(raw)
        return refusal(body) or body

    async def create(request: Request) -> Response:
        lines.append(f"{request.method} {request.url.path}")
        body = await parse(request)
        if isinstance(body, Response):
            return body
        sid = "cks_" + uuid.uuid4().hex[:21]
        created = datetime.now(UTC) + (timedelta(days=1) if break_ == "created_at_future" else timedelta())
        customer = body.get("customer") if isinstance(body.get("customer"), dict) else {}
        email, name = customer.get("email"), customer.get("name")
        sessions[sid] = {"created_at": created.isoformat(), "email": email, "name": name}
        saved = body.get("payment_method_id") is not None
        url = None if saved and break_ != "checkout_url_with_payment_method" else f"https://test.checkout.example/{sid}"
        out: dict[str, Any] = {"session_id": sid, "checkout_url": url}
        if break_ == "session_id_missing":
            del out["session_id"]
        return JSONResponse(out)

    async def preview(request: Request) -> Response:
        lines.append(f"{request.method} {request.url.path}")
        if break_ == "preview_500":
            return _error(500, "INTERNAL_SERVER_ERROR", "boom")
        body = await parse(request)
        if isinstance(body, Response):
            return body
        cart = body.get("product_cart") or []
        subtotal = sum(fx.line_total(i) or 0 for i in cart)
        codes = body.get("discount_codes") or ([body["discount_code"]] if body.get("discount_code") else [])
        after = subtotal
        for code in codes:
            discount = fx.discount(code)
            after = discount.apply(after) if discount is not None else after
        inclusive = all((p := fx.product(str(i["product_id"]))) is not None and p.tax == "inclusive" for i in cart)
        tax = 0 if inclusive else (after * 10) // 100
        total = after + tax if break_ != "breakup_tax_forgotten" else after
        currency = fx.cart_currency(cart) or "USD"
        lines_out = []
        for item in cart:
            product = fx.product(str(item["product_id"]))
            assert product is not None
            price = int(item.get("amount") or product.price)
            lines_out.append({
                "product_id": product.id, "quantity": item["quantity"], "discounted_price": price, "og_price": price,
                "currency": product.currency, "og_currency": product.currency, "tax_rate": 1000,
                "tax_category": "saas", "meters": [], "is_usage_based": False, "tax_inclusive": False,
                "is_subscription": fx.checkout.is_subscription(product.id), "credit_entitlements": [],
            })  # fmt: skip
        address = body.get("billing_address") if isinstance(body.get("billing_address"), dict) else {}
        out = {
            "total_price": total,
            "currency": currency,
            "product_cart": lines_out,
            "current_breakup": {"total_amount": total, "subtotal": subtotal, "discount": subtotal - after, "tax": tax},
            "billing_country": address.get("country") or "US",
            "is_byop": False,
        }
        return JSONResponse(out)

    async def get(request: Request) -> Response:
        lines.append(f"{request.method} {request.url.path}")
        if break_ != "get_without_key" and not authorised(request):
            return _error(401, "UNAUTHORIZED", "bad key")
        sid = request.path_params["id"]
        session = sessions.get(sid)
        if break_ == "get_200_unknown" and session is None:
            session = {"created_at": datetime.now(UTC).isoformat(), "email": None, "name": None}
        if session is None or break_ == "get_404":
            return _error(404, "NOT_FOUND", "no such session")
        status = "processing" if break_ == "payment_status_set" else None
        out = {"id": sid, "created_at": session["created_at"], "customer_email": session["email"]}
        return JSONResponse({**out, "customer_name": session["name"], "payment_id": None, "payment_status": status})

    async def other(request: Request) -> Response:
        lines.append(f"{request.method} {request.url.path}")
        return _error(404, "NOT_FOUND", "no route")

    app = Starlette(
        routes=[
            Route("/checkouts", create, methods=["POST"]),
            Route("/checkouts/preview", preview, methods=["POST"]),
            Route("/checkouts/{id}", get, methods=["GET"]),
            Route("/{path:path}", other, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        ]
    )
    app.state.lines = lines
    return app

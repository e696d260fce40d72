"""An implementation of POST /payments written apart from dodo_contract, to test the engine for false alarms.

It reads the same published facts but makes different, equally faithful choices than the reference mock:
plain ``jsonschema`` on Dodo's own whole OpenAPI document of its version (1.113.0 by default, as Dodo's servers
speak today; 1.86.0 on request), with Dodo's first-fitting customer form, metadata values read by hand (the
1.113.0 ``oneOf`` would refuse every integer), prose rules checked by hand, an 18% tax added on top of every
line whose product is not tax-``inclusive`` (after the discounts, rounded down on the total; none with a
``tax_id``),
percentage and flat discounts (a flat one in the minor units of the cart's currency), no ``product_cart`` in
answers, extra response fields, ``null`` for absent optional fields, an ``expires_on`` with a numeric UTC offset,
and every schema problem reported as ``INVALID_REQUEST_BODY`` except the documented special codes. ``BREAKS``
lists realistic ways to get it wrong.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests import _shared

_DOCUMENTS = {"1.86.0": "dodo_openapi_v1.86.0.yml", "1.113.0": "dodo_openapi_v1.113.0.json"}
INT32 = 2**31 - 1


class _Spec:
    """The request schema of one version, read straight from Dodo's document."""

    def __init__(self, version: str) -> None:
        path = _shared.SHARED / "dodo" / "openapi" / _DOCUMENTS[version]
        if path.suffix == ".yml":
            import yaml

            components = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["components"]
        else:
            components = json.loads(path.read_text(encoding="utf-8"))["components"]
        self.version = version
        self.request = jsonschema.Draft202012Validator(
            {"$ref": "#/components/schemas/CreateOneTimePaymentRequest", "components": components}
        )
        self.attach = jsonschema.Draft202012Validator(components["schemas"]["AttachExistingCustomer"])
        self.new = jsonschema.Draft202012Validator(components["schemas"]["NewCustomer"])
        self.stacked = "discount_codes" in components["schemas"]["CreateOneTimePaymentRequest"]["properties"]


BREAKS = (
    "no_auth",  # serves requests without a valid key
    "empty_cart_ok",  # accepts an empty cart
    "lowercase_country",  # upper-cases the country before validating
    "no_customer_metadata_echo",  # drops request metadata from the answer
    "status_400",  # answers schema problems with 400
    "string_total",  # total_amount as a string
    "unknown_product_ok",  # charges unknown products at 0
    "null_rejected",  # refuses an explicit null for discount_code
    # issue 10: the meaning of a well-shaped answer
    "ignores_quantity",  # prices each line once
    "discount_forgotten",  # accepts the code, echoes its id, charges the full price
    "discount_doubled",  # applies a code twice
    "pwyw_list_price",  # charges a pay-what-you-want line at its list price
    "rupees_for_paise",  # answers the total in major units
    "request_name_for_existing_customer",  # echoes the request's name instead of the stored customer's
    "names_truncated",  # stores names in a 40-character column
    "metadata_leaks",  # a metadata dict shared across requests
    "discount_id_without_code",  # a default campaign id on every payment
    "first_country_only",  # blocks only the first unsupported country
    "any_tax_id",  # accepts any tax id
    "unknown_customer_404",  # an unknown customer is HTTP 404
    "unknown_customer_code",  # an unknown customer is INVALID_REQUEST_PARAMETERS
    "schema_error_business_code",  # a malformed country is UNSUPPORTED_COUNTRY
    "key_prefix_only",  # compares the first 16 characters of the key
    "bom",  # a UTF-8 byte order mark before every 200 body
)
TAX_RATE = 18  # percent, on top of tax-exclusive prices


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "request_id": str(uuid.uuid4())}, status_code=status)


def _metadata_ok(meta: Any, spec: _Spec) -> bool:
    if not isinstance(meta, dict):
        return False
    scalars = (str,) if spec.version == "1.86.0" else (str, int, float)  # bool is an int: fine from 1.113.0
    return all(isinstance(v, scalars) for v in meta.values())


def _problem(body: dict[str, Any], breaks: set[str], spec: _Spec) -> tuple[str, str] | None:
    customer = body.get("customer")
    invalid = "INVALID_REQUEST_BODY", "Your request body is invalid. Please check your request headers and object."
    if "metadata" in body and not _metadata_ok(body["metadata"], spec):
        return invalid
    plain = {k: v for k, v in body.items() if k != "metadata"}
    # Dodo reads the first customer form that fits; strict oneOf would wrongly refuse {"customer_id", "email"}.
    if isinstance(customer, dict) and spec.attach.is_valid(customer):
        errors = list(spec.request.iter_errors({**plain, "customer": {"customer_id": "x"}}))
    elif isinstance(customer, dict) and spec.new.is_valid(customer):
        errors = list(spec.request.iter_errors({**plain, "customer": {"email": "x@example.com"}}))
    else:
        errors = list(spec.request.iter_errors(plain)) or [None]
    if errors:
        return invalid
    cart = body["product_cart"]
    if not cart and "empty_cart_ok" not in breaks:
        return "PRODUCT_CART_EMPTY", "product_cart is empty"
    if len(cart) > 100 or any(i["quantity"] > INT32 or abs(i.get("amount") or 0) > INT32 for i in cart):
        return "INVALID_REQUEST_BODY", "product_cart is out of range"
    meta = body.get("metadata", {})
    if len(meta) > 50:
        return "MAXIMUM_KEYS_REACHED", "Exceeds 50 key-value pairs"
    if any(len(k) > 40 or (isinstance(v, str) and len(v) > 500) for k, v in meta.items()):
        return "INVALID_REQUEST_BODY", "metadata key or value too long"
    url = body.get("return_url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return "INVALID_REQUEST_BODY", "return_url must be a valid URL"
    attached = isinstance(customer, dict) and spec.attach.is_valid(customer)
    if body.get("payment_method_id") is not None and not attached:
        return "INVALID_REQUEST_PARAMETERS", "customer_id must be provided with payment_method_id"
    if spec.stacked:
        codes = body.get("discount_codes")
        if codes is not None and (len(codes) > 20 or body.get("discount_code") is not None):
            return "INVALID_REQUEST_PARAMETERS", "discount_codes: at most 20, and never with discount_code"
        wants_phone = body.get("require_phone_number") is True and body.get("payment_link") is not True
        if wants_phone and not attached and not (isinstance(customer, dict) and customer.get("phone_number")):
            return "INVALID_REQUEST_PARAMETERS", "a phone number is required"
    return None


def create_app(
    catalog: dict[str, Any], api_key: str, *, breaks: frozenset[str] = frozenset(), version: str = "1.113.0"
) -> Starlette:
    """Return the independent implementation of spec ``version`` for ``catalog`` (the fixtures file format)."""
    spec = _Spec(version)
    products = {p["id"]: p for p in catalog["products"]}
    customers = {c["id"]: c for c in catalog.get("customers", [])}
    discounts = {d if isinstance(d, str) else d["code"]: d for d in catalog.get("discount_codes", [])}
    taxes = set(catalog.get("tax_ids", []))
    currencies = set(catalog.get("billing_currencies", ["USD", "INR"]))
    blocked = list(catalog.get("unsupported_countries", []))
    shared_metadata: dict[str, Any] = {}  # the "metadata_leaks" bug: one dict for every request
    enabled = set(catalog.get("enabled_payment_methods", [])) or None

    async def payments(request: Request) -> Response:
        presented = request.headers.get("authorization", "")
        if "key_prefix_only" in breaks:
            presented = f"Bearer {api_key}" if presented[:23] == f"Bearer {api_key}"[:23] else presented
        if presented != f"Bearer {api_key}" and "no_auth" not in breaks:
            return _error(401, "UNAUTHORIZED", "You are not authorised to perform this action")
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(422, "INVALID_REQUEST_BODY", "Malformed JSON")
        if "lowercase_country" in breaks and isinstance(body.get("billing"), dict):
            country = body["billing"].get("country")
            if isinstance(country, str):
                body["billing"]["country"] = country.upper()
        if "null_rejected" in breaks and "discount_code" in body and body["discount_code"] is None:
            return _error(422, "INVALID_REQUEST_BODY", "discount_code must not be null")
        problem = _problem(body, set(breaks), spec)
        if problem and "schema_error_business_code" in breaks and problem[0] == "INVALID_REQUEST_BODY":
            problem = "UNSUPPORTED_COUNTRY", "Country not supported"
        if problem:
            return _error(400 if "status_400" in breaks and problem[0] == "INVALID_REQUEST_BODY" else 422, *problem)
        total = taxable = 0
        for item in body["product_cart"]:
            product = products.get(item["product_id"])
            if product is None:
                if "unknown_product_ok" in breaks:
                    continue
                return _error(422, "NOT_FOUND", f"Product {item['product_id']} not found")
            quantity = 1 if "ignores_quantity" in breaks and item["quantity"] else item["quantity"]
            if product.get("pay_what_you_want"):
                if item.get("amount") is None:
                    return _error(422, "PAY_AS_YOU_WANT_AMOUNT_REQUIRED", "Amount is mandatory")
                if item["amount"] < product.get("min_amount", 0):
                    return _error(422, "REQUEST_AMOUNT_BELOW_MINIMUM", "Amount below minimum")
                unit = product.get("price", 0) if "pwyw_list_price" in breaks else item["amount"]
            else:
                unit = product["price"]
            total += unit * quantity
            taxable += 0 if product.get("tax") == "inclusive" else unit * quantity
        customer = body["customer"]
        if spec.attach.is_valid(customer):
            known = customers.get(customer["customer_id"])
            if known is None:
                if "unknown_customer_404" in breaks:
                    return _error(404, "NOT_FOUND", "Customer not found")
                if "unknown_customer_code" in breaks:
                    return _error(422, "INVALID_REQUEST_PARAMETERS", "customer_id is invalid")
                return _error(422, "NOT_FOUND", "Customer not found")
            pm = body.get("payment_method_id")
            if pm is not None and pm not in known.get("payment_method_ids", []):
                return _error(422, "INVALID_REQUEST_PARAMETERS", "Payment method does not belong to the customer")
            name = known.get("name") or ""
            if "request_name_for_existing_customer" in breaks:
                name = customer.get("name") or known["email"].split("@")[0]
            out_customer = {"customer_id": known["id"], "email": known["email"], "name": name}
        else:
            out_customer = {
                "customer_id": f"cus_{uuid.uuid4().hex[:12]}",
                "email": customer["email"],
                "name": customer.get("name") or "",
                "phone_number": customer.get("phone_number"),
            }
        if "names_truncated" in breaks:
            out_customer["name"] = out_customer["name"][:40]
        if body["billing"]["country"] in (blocked[:1] if "first_country_only" in breaks else blocked):
            return _error(422, "UNSUPPORTED_COUNTRY", f"Country {body['billing']['country']} currently not supported")
        if body.get("billing_currency") is not None and body["billing_currency"] not in currencies:
            return _error(422, "UNSUPPORTED_CURRENCY", "Can only request USD or INR for billing_currency")
        allowed = body.get("allowed_payment_method_types")
        if allowed is not None and enabled is not None and not set(allowed) & enabled:
            return _error(422, "NO_ELIGIBLE_PAYMENT_METHODS", "No eligible payment methods found")
        applied = []
        for code in body.get("discount_codes") or [body.get("discount_code")]:
            if code is None:
                continue
            if code not in discounts:
                return _error(422, "INVALID_DISCOUNT_CODE", "Invalid discount code")
            entry = discounts[code] if isinstance(discounts[code], dict) else {}
            applied.append(entry.get("id") or f"dsc_{uuid.uuid5(uuid.NAMESPACE_URL, code).hex[:10]}")
            for _time in range(0 if "discount_forgotten" in breaks else 2 if "discount_doubled" in breaks else 1):
                before = total
                if "amount" in entry:
                    total = max(0, total - int(entry["amount"]))
                else:
                    total -= total * int(entry.get("percentage", 10)) // 100
                taxable = taxable * total // before if before else 0
        if body.get("tax_id") is not None and body["tax_id"] not in taxes and "any_tax_id" not in breaks:
            return _error(422, "INVALID_TAX_ID", "Tax Id is invalid")
        if body.get("tax_id") is None:
            total += taxable * TAX_RATE // 100  # tax on top of the tax-exclusive share, after the discounts
        total = min(INT32, total // 100 if "rupees_for_paise" in breaks else total)
        payment_id = f"pay_{uuid.uuid4().hex}"
        answer: dict[str, Any] = {
            "payment_id": payment_id,
            "total_amount": str(total) if "string_total" in breaks else total,
            "client_secret": f"{payment_id}_secret",
            "customer": out_customer,
            "metadata": {} if "no_customer_metadata_echo" in breaks else body.get("metadata", {}),
            "discount_id": applied[0]
            if applied
            else ("dsc_campaign" if "discount_id_without_code" in breaks else None),
            "payment_link": None,
            "expires_on": None,
            "livemode": False,  # a field the contract does not know
        }
        if spec.stacked:
            answer["discount_ids"] = applied or None
        if "metadata_leaks" in breaks:
            shared_metadata.update(body.get("metadata", {}))
            answer["metadata"] = dict(shared_metadata)
        if body.get("payment_link"):
            answer["payment_link"] = f"https://test.checkout.dodopayments.com/buy/{payment_id}"
            answer["expires_on"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
        if "bom" in breaks:
            return Response(b"\xef\xbb\xbf" + json.dumps(answer).encode(), media_type="application/json")
        return JSONResponse(answer)

    return Starlette(routes=[Route("/payments", payments, methods=["POST"])])

"""A second implementation of POST /payments written apart from dodo_contract, for either spec version.

It is built from Dodo's whole OpenAPI documents (plain ``jsonschema``, its own reading of the ``Metadata`` trap in
1.113.0) and the docs' prose, and it makes its own faithful choices, each a switch a test can turn: tax on top of
the price or included in it, gzip-compressed or chunked answers, latency, an occasional ``429`` with
``Retry-After``, the cart echoed or not. It never imports dodo_contract, so an agreement between the two is
evidence, not a tautology. ``BREAKS`` lists realistic ways to get the contract wrong, one at a time.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests import _shared

INT32 = 2**31 - 1
INVALID = "INVALID_REQUEST_BODY"
PARAMS = "INVALID_REQUEST_PARAMETERS"

# Issue 10: the meaning of a well-shaped answer (money, echoes, business rules, the key, strict JSON), either version.
MEANING_BREAKS = (
    "ignores_quantity",  # prices each cart line once
    "discount_forgotten",  # accepts a valid code and echoes its id, but charges the full price
    "discount_doubled",  # applies each code twice
    "pwyw_list_price",  # charges a pay-what-you-want line at the product's price, not the amount sent
    "rupees_for_paise",  # answers the total in major units
    "request_name_for_existing_customer",  # echoes the request's name instead of the stored customer's
    "names_truncated",  # keeps the first 32 characters of a name
    "metadata_leaks",  # merges the metadata of every earlier request
    "discount_id_without_code",  # a campaign discount_id on every payment
    "first_country_only",  # blocks only the first unsupported country
    "any_tax_id",  # accepts any tax id
    "unknown_customer_404",  # an unknown customer is HTTP 404
    "unknown_customer_code",  # an unknown customer is INVALID_REQUEST_PARAMETERS, not NOT_FOUND
    "schema_error_business_code",  # answers schema errors with UNSUPPORTED_COUNTRY
    "key_prefix_only",  # compares the first 16 characters of the key
    "bom",  # a UTF-8 byte order mark before every 200 body
)

BREAKS = {
    "1.86.0": (
        "empty_cart_ok",  # accepts an empty cart
        "fractional_quantity_ok",  # truncates "quantity": 1.5 instead of refusing it
        "lowercase_country_ok",  # upper-cases the billing country before validating
        "numeric_zipcode_ok",  # takes "zipcode": 94105
        "null_discount_refused",  # refuses an explicit null discount_code
        *MEANING_BREAKS,
    ),
    "1.113.0": (
        "empty_cart_ok",
        "fractional_quantity_ok",
        "metadata_numbers_refused",  # reads Metadata as string-only (the 1.86.0 contract)
        "metadata_oneof_strict",  # applies the spec's oneOf literally: refuses integer metadata values
        "discount_codes_unbounded",  # accepts more than 20 discount codes
        "discount_code_and_codes_ok",  # accepts discount_code together with discount_codes
        "phone_not_required",  # ignores require_phone_number
        "satispay_refused",  # an enum without satispay
        "discount_id_not_first",  # discount_id is the last stacked id, not the first
        "discount_ids_string",  # discount_ids is a comma-separated string
        *MEANING_BREAKS,
    ),
}


@cache
def _spec(version: str) -> dict[str, Any]:
    folder = _shared.SHARED / "dodo" / "openapi"
    if version == "1.86.0":
        import yaml

        with open(folder / "dodo_openapi_v1.86.0.yml", encoding="utf-8") as fh:
            loaded: dict[str, Any] = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return loaded
    return dict(json.loads((folder / "dodo_openapi_v1.113.0.json").read_text(encoding="utf-8")))


@cache
def _validators(version: str, strict_oneof: bool) -> dict[str, jsonschema.Draft202012Validator]:
    components = copy.deepcopy(_spec(version)["components"])
    meta = components["schemas"]["Metadata"]
    value = meta.get("additionalProperties")
    if isinstance(value, dict) and "oneOf" in value and not strict_oneof:
        # 5 is both an integer and a number, so the literal oneOf refuses every integer the docs allow.
        value["anyOf"] = value.pop("oneOf")
    out = {}
    for name in ("CreateOneTimePaymentRequest", "AttachExistingCustomer", "NewCustomer"):
        out[name] = jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": components})
    return out


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _schema_problem(body: dict[str, Any], version: str, breaks: frozenset[str]) -> str | None:
    v = _validators(version, "metadata_oneof_strict" in breaks)
    customer = body.get("customer")
    probe = dict(body)
    if "fractional_quantity_ok" in breaks and isinstance(probe.get("product_cart"), list):
        probe["product_cart"] = [
            {**i, "quantity": int(i["quantity"])} if isinstance(i, dict) and isinstance(i.get("quantity"), float) else i
            for i in probe["product_cart"]
        ]
    billing = probe.get("billing")
    if "numeric_zipcode_ok" in breaks and isinstance(billing, dict) and isinstance(billing.get("zipcode"), int):
        probe["billing"] = {**billing, "zipcode": str(billing["zipcode"])}
    meta = probe.get("metadata")
    if (
        "metadata_numbers_refused" in breaks
        and isinstance(meta, dict)
        and any(not isinstance(x, str) for x in meta.values())
    ):
        return "metadata values must be strings"
    if "satispay_refused" in breaks and "satispay" in (probe.get("allowed_payment_method_types") or []):
        return "unknown payment method type satispay"
    # Dodo takes the first customer form that fits; a strict oneOf would refuse {"customer_id", "email"}.
    if isinstance(customer, dict) and v["AttachExistingCustomer"].is_valid(customer):
        probe["customer"] = {"customer_id": "x"}
    elif isinstance(customer, dict) and v["NewCustomer"].is_valid(customer):
        probe["customer"] = {"email": "x@example.com"}
    error = next(iter(v["CreateOneTimePaymentRequest"].iter_errors(probe)), None)
    return None if error is None else error.message[:200]


def _prose_problem(body: dict[str, Any], version: str, breaks: frozenset[str]) -> tuple[str, str] | None:
    cart = body["product_cart"]
    if not cart and "empty_cart_ok" not in breaks:
        return "PRODUCT_CART_EMTPY", "product_cart is empty"  # the spelling the real API returns
    if len(cart) > 100:
        return INVALID, "product_cart has more than 100 items"
    for item in cart:
        if item["quantity"] > INT32 or not -INT32 - 1 <= (item.get("amount") or 0) <= INT32:
            return INVALID, "a number in product_cart is out of range"
    meta = body.get("metadata") or {}
    if len(meta) > 50:
        return "MAXIMUM_KEYS_REACHED", "Exceeds 50 key-value pairs"
    if any(len(k) > 40 or (isinstance(x, str) and len(x) > 500) for k, x in meta.items()):
        return INVALID, "metadata key or value too long"
    url = body.get("return_url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            return INVALID, "return_url must be a valid URL"
    attach = isinstance(body["customer"].get("customer_id"), str)
    if body.get("payment_method_id") is not None and not attach:
        return PARAMS, "customer_id must be provided with payment_method_id"
    if version != "1.86.0":
        codes = body.get("discount_codes")
        if codes is not None and len(codes) > 20 and "discount_codes_unbounded" not in breaks:
            return PARAMS, "at most 20 discount codes"
        both = codes is not None and body.get("discount_code") is not None
        if both and "discount_code_and_codes_ok" not in breaks:
            return PARAMS, "discount_code cannot be used together with discount_codes"
        wants_phone = body.get("require_phone_number") is True and body.get("payment_link") is not True
        no_phone = not attach and not body["customer"].get("phone_number")
        if wants_phone and no_phone and "phone_not_required" not in breaks:
            return PARAMS, "a phone number is required for this payment"
    return None


class _Shop:
    """The catalog (fixtures format) and how this implementation prices and answers."""

    def __init__(
        self,
        catalog: dict[str, Any],
        *,
        tax: str,
        tax_rate: float,
        echo_cart: bool,
        breaks: frozenset[str],
        version: str,
    ) -> None:
        self.version = version
        self.breaks = breaks
        self.seen_metadata: dict[str, Any] = {}
        self.products = {p["id"]: p for p in catalog["products"]}
        self.customers = {c["id"]: c for c in catalog.get("customers", [])}
        self.discounts: dict[str, dict[str, Any]] = {}
        for d in catalog.get("discount_codes", []):
            entry = {"code": d} if isinstance(d, str) else dict(d)
            self.discounts[entry["code"]] = entry
        self.tax_ids = set(catalog.get("tax_ids", []))
        self.currencies = set(catalog.get("billing_currencies", ["USD", "INR"]))
        blocked = list(catalog.get("unsupported_countries", []))
        self.blocked = set(blocked[:1] if "first_country_only" in breaks else blocked)
        self.enabled = set(catalog.get("enabled_payment_methods", [])) or None
        self.tax, self.tax_rate, self.echo_cart = tax, tax_rate, echo_cart

    def refusal(self, body: dict[str, Any]) -> tuple[str, str] | None:
        for item in body["product_cart"]:
            product = self.products.get(item["product_id"])
            if product is None:
                return "NOT_FOUND", f"Product {item['product_id'][:40]} not found"
            if product.get("pay_what_you_want"):
                if item.get("amount") is None:
                    return "PAY_AS_YOU_WANT_AMOUNT_REQUIRED", "Amount is mandatory for pay as you want product"
                if item["amount"] < product.get("min_amount", 0):
                    return "REQUEST_AMOUNT_BELOW_MINIMUM", "Amount cannot be less than minimum amount"
        customer = body["customer"]
        known = self.customers.get(customer["customer_id"]) if "customer_id" in customer else None
        if "customer_id" in customer and known is None:
            if "unknown_customer_code" in self.breaks:
                return PARAMS, "customer_id is invalid"
            return "NOT_FOUND", "Customer not found"
        method = body.get("payment_method_id")
        if method is not None and method not in (known or {}).get("payment_method_ids", []):
            return PARAMS, "Payment method does not belong to the customer"
        if body["billing"]["country"] in self.blocked:
            return "UNSUPPORTED_COUNTRY", f"Country {body['billing']['country']} currently not supported"
        currency = body.get("billing_currency")
        if currency is not None and currency not in self.currencies:
            return "UNSUPPORTED_CURRENCY", "Can only request USD or INR for billing_currency"
        allowed = body.get("allowed_payment_method_types")
        if allowed is not None and self.enabled is not None and not set(allowed) & self.enabled:
            return "NO_ELIGIBLE_PAYMENT_METHODS", "No eligible payment methods found"
        for code in self.codes(body):
            if code not in self.discounts:
                return "INVALID_DISCOUNT_CODE", "Invalid discount code"
        if body.get("tax_id") is not None and body["tax_id"] not in self.tax_ids and "any_tax_id" not in self.breaks:
            return "INVALID_TAX_ID", "Tax Id is invalid"
        return None

    def codes(self, body: dict[str, Any]) -> list[str]:
        # A 1.86.0 server has never heard of discount_codes: an unknown key, ignored.
        if self.version != "1.86.0" and body.get("discount_codes") is not None:
            return list(body["discount_codes"])
        return [body["discount_code"]] if body.get("discount_code") is not None else []

    def total(self, body: dict[str, Any]) -> int:
        subtotal = taxable = 0
        for item in body["product_cart"]:
            product = self.products[item["product_id"]]
            pwyw = product.get("pay_what_you_want") and "pwyw_list_price" not in self.breaks
            unit = item["amount"] if pwyw else product.get("price", 0)
            quantity = 1 if "ignores_quantity" in self.breaks and item["quantity"] else int(item["quantity"])
            subtotal += unit * quantity
            # A price the catalog calls tax-inclusive gets no tax on top, whatever this server's own habit.
            taxable += 0 if product.get("tax") == "inclusive" else unit * quantity
        times = 0 if "discount_forgotten" in self.breaks else 2 if "discount_doubled" in self.breaks else 1
        for code in self.codes(body):
            entry = self.discounts[code]
            for _time in range(times):
                before = subtotal
                if "amount" in entry:
                    subtotal = max(0, subtotal - int(entry["amount"]))
                else:
                    subtotal -= subtotal * float(entry.get("percentage", 10)) // 100
                taxable = taxable * subtotal / before if before else 0
        subtotal = int(subtotal)
        if self.tax == "exclusive" and body.get("tax_id") is None:
            subtotal += round(taxable * self.tax_rate)
        return min(INT32, subtotal // 100 if "rupees_for_paise" in self.breaks else subtotal)


def create_app(
    catalog: dict[str, Any],
    api_key: str,
    *,
    version: str = "1.113.0",
    breaks: frozenset[str] = frozenset(),
    tax: str = "exclusive",
    tax_rate: float = 0.18,
    echo_cart: bool = False,
    gzip: bool = False,
    chunked: bool = False,
    latency_s: float = 0.0,
    throttle_every: int = 0,
) -> Starlette:
    """Return the implementation for ``catalog`` (the fixtures file format), speaking spec ``version``."""
    unknown = set(breaks) - set(BREAKS[version])
    if unknown:
        raise ValueError(f"unknown breaks for {version}: {sorted(unknown)}")
    shop = _Shop(catalog, tax=tax, tax_rate=tax_rate, echo_cart=echo_cart, breaks=frozenset(breaks), version=version)
    counter = iter(range(1, 10**9))

    def answer(body: Any, status: int = 200) -> Response:
        bom = b"\xef\xbb\xbf" if "bom" in breaks and status == 200 else b""
        if not chunked and not bom:
            return JSONResponse(body, status_code=status)
        data = bom + json.dumps(body).encode()
        if not chunked:
            return Response(data, status_code=status, media_type="application/json")

        async def parts() -> AsyncIterator[bytes]:
            for start in range(0, len(data), 97):
                yield data[start : start + 97]

        return StreamingResponse(parts(), status_code=status, media_type="application/json")

    async def payments(request: Request) -> Response:
        n = next(counter)
        if latency_s:
            await asyncio.sleep(latency_s)
        if throttle_every and n % throttle_every == 0:
            return JSONResponse(
                {"code": "TOO_MANY_REQUESTS", "message": "No messages"}, status_code=429, headers={"Retry-After": "0"}
            )
        presented = request.headers.get("authorization", "")
        if "key_prefix_only" in breaks and presented[:23] == f"Bearer {api_key}"[:23]:
            presented = f"Bearer {api_key}"
        if presented != f"Bearer {api_key}":
            return _error(401, "UNAUTHORIZED", "You are not authorised to perform this action")
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(422, INVALID, "Your request body is invalid. Please check your request headers and object.")
        if "null_discount_refused" in breaks and "discount_code" in body and body["discount_code"] is None:
            return _error(422, INVALID, "discount_code must not be null")
        billing = body.get("billing")
        if "lowercase_country_ok" in breaks and isinstance(billing, dict) and isinstance(billing.get("country"), str):
            billing["country"] = billing["country"].upper()
        why = _schema_problem(body, version, breaks)
        if why is not None and "schema_error_business_code" in breaks:
            return _error(422, "UNSUPPORTED_COUNTRY", f"Country not supported: {why}")
        if why is not None:
            return _error(422, INVALID, f"Your request body is invalid: {why}")
        problem = _prose_problem(body, version, breaks) or shop.refusal(body)
        if problem is not None and "unknown_customer_404" in breaks and problem[1] == "Customer not found":
            return _error(404, *problem)
        if problem is not None:
            return _error(422, *problem)
        return answer(_success(body, shop, version, breaks))

    async def elsewhere(request: Request) -> Response:
        return _error(404, "NOT_FOUND", "Not found")

    middleware = [Middleware(GZipMiddleware, minimum_size=0)] if gzip else []
    return Starlette(
        routes=[Route("/payments", payments, methods=["POST"]), Route("/{path:path}", elsewhere)],
        middleware=middleware,
    )


def _success(body: dict[str, Any], shop: _Shop, version: str, breaks: frozenset[str]) -> dict[str, Any]:
    customer = body["customer"]
    if "customer_id" in customer:
        known = shop.customers[customer["customer_id"]]
        name = known.get("name") or ""
        if "request_name_for_existing_customer" in breaks:
            name = customer.get("name") or known["email"].split("@")[0]
        out_customer = {"customer_id": known["id"], "email": known["email"], "name": name}
    else:
        out_customer = {
            "customer_id": f"cus_{uuid.uuid4().hex[:16]}",
            "email": customer["email"],
            "name": customer.get("name") or customer["email"].split("@")[0],
            "phone_number": customer.get("phone_number"),
        }
    if "names_truncated" in breaks:
        out_customer["name"] = out_customer["name"][:32]
    metadata = body.get("metadata") or {}
    if "metadata_leaks" in breaks:
        shop.seen_metadata.update(metadata)
        metadata = dict(shop.seen_metadata)
    payment_id = f"pay_{uuid.uuid4().hex}"
    out: dict[str, Any] = {
        "payment_id": payment_id,
        "total_amount": shop.total(body),
        "client_secret": f"{payment_id}_secret_{uuid.uuid4().hex[:8]}",
        "customer": out_customer,
        "metadata": metadata,
    }
    ids = [shop.discounts[c].get("id") or f"dsc_{uuid.uuid5(uuid.NAMESPACE_URL, c).hex[:12]}" for c in shop.codes(body)]
    if not ids and "discount_id_without_code" in breaks:
        out["discount_id"] = "dsc_campaign"
    if ids:
        out["discount_id"] = ids[-1] if "discount_id_not_first" in breaks else ids[0]
        if version != "1.86.0":
            out["discount_ids"] = ",".join(ids) if "discount_ids_string" in breaks else ids
    if body.get("payment_link") is True:
        out["payment_link"] = f"https://test.checkout.dodopayments.com/buy/{payment_id}"
        out["expires_on"] = (datetime.now(UTC) + timedelta(hours=24)).isoformat(timespec="seconds")
    if shop.echo_cart:
        out["product_cart"] = [
            {k: v for k, v in i.items() if k in ("product_id", "quantity", "amount")} for i in body["product_cart"]
        ]
    return out

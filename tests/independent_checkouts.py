"""A second implementation of Checkout Sessions written apart from dodo_contract, for either spec version.

``POST /checkouts``, ``POST /checkouts/preview`` and ``GET /checkouts/{id}``, built from Dodo's whole OpenAPI
documents (plain ``jsonschema``; its own reading of the ``Metadata`` and customer ``oneOf`` traps) and the prose of
the docs (CHECKOUT_SESSIONS.md C1..C14, with the default readings: quantity >= 1, at most 20 lines and an empty
cart only with a collection). It makes its own faithful choices, each a switch a test can turn: tax on top of
tax-exclusive prices (``tax_rate``), extra response fields the schema does not name (``extras``), explicit nulls
for absent optional fields or leaving them out (``nulls``), a saved payment method's payment ``succeeded``, and its
own ids. It never imports dodo_contract, so an agreement between the two is evidence, not a tautology.

``create_app(catalog, api_key, version=..., breaks=...)`` is the interface (as ``independent_payments``);
``BREAKS[version]`` lists realistic ways to get the contract wrong, one at a time.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests import _shared

INT32 = 2**31 - 1
INVALID = "INVALID_REQUEST_BODY"
PARAMS = "INVALID_REQUEST_PARAMETERS"
ALPHABET = string.ascii_letters + string.digits
RADIUS = re.compile(r"^(\d+(\.\d+)?|\.\d+)(px|rem|em)$")

_COMMON = (
    "session_id_renamed",  # answers {"id": ...} instead of the required session_id
    "checkout_url_with_payment_method",  # a checkout_url although payment_method_id was sent
    "checkout_url_null",  # no checkout_url for an ordinary session
    "get_404_for_fresh_session",  # GET of a session just created answers 404
    "payment_id_before_payment",  # GET shows a payment (succeeded) for a session nobody paid
    "created_at_in_future",  # created_at an hour ahead (local time written as UTC)
    "unknown_session_200",  # GET of an unknown id answers 200 with a made-up session
    "preview_discount_not_subtracted",  # total_amount = subtotal + tax while discount is shown
    "preview_ignores_quantity",  # each line counted once in the preview
    "preview_total_price_stale",  # total_price is the subtotal, not what is charged
    "confirm_without_billing_ok",  # confirm: true accepted without a full billing address
    "custom_fields_unbounded",  # more than 5 custom fields accepted
    "dropdown_without_options_ok",  # a dropdown custom field without options accepted
    "trial_days_unbounded",  # trial_period_days 10001 accepted
    "quantity_zero_ok",  # quantity 0 accepted (the schema's minimum, not the guide's 1)
    "cart_unbounded",  # a cart of 21 lines accepted
    "payment_method_without_confirm_ok",  # payment_method_id accepted without confirm
    "tax_id_without_billing_ok",  # tax_id accepted without billing_address
    "unknown_product_ok",  # an unknown product_id is charged 0
    "auth_optional_on_get",  # GET /checkouts/{id} served without a key
    "crash_on_subscription_preview",  # 500 on the preview of a subscription line
)
BREAKS: dict[str, tuple[str, ...]] = {
    "1.86.0": _COMMON,
    "1.113.0": (
        *_COMMON,
        "discount_codes_unbounded",  # more than 20 discount codes accepted
        "discount_code_and_codes_ok",  # discount_code together with discount_codes accepted
        "phone_collection_ignored",  # require_phone_number accepted with allow_phone_number_collection false
    ),
}


@cache
def _document(version: str) -> dict[str, Any]:
    folder = _shared.SHARED / "dodo" / "openapi"
    if version == "1.86.0":
        import yaml

        with open(folder / "dodo_openapi_v1.86.0.yml", encoding="utf-8") as fh:
            loaded: dict[str, Any] = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return loaded
    return dict(json.loads((folder / "dodo_openapi_v1.113.0.json").read_text(encoding="utf-8")))


@cache
def _validator(version: str) -> jsonschema.Draft202012Validator:
    components = copy.deepcopy(_document(version)["components"])
    schemas = components["schemas"]
    value = schemas["Metadata"].get("additionalProperties")
    if isinstance(value, dict) and "oneOf" in value:
        value["anyOf"] = value.pop("oneOf")  # 5 is an integer and a number: a literal oneOf refuses it
    # Both customer forms are open objects; Dodo takes the first that fits, i.e. anyOf.
    schemas["CustomerRequest"]["anyOf"] = schemas["CustomerRequest"].pop("oneOf")
    root = {"$ref": "#/components/schemas/CreateCheckoutSessionRequest", "components": components}
    return jsonschema.Draft202012Validator(root)


def _fields(version: str, name: str) -> set[str]:
    return set(_document(version)["components"]["schemas"][name].get("properties", {}))


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _ints_out_of_range(value: Any, *, top: bool = True) -> bool:
    # Every integer of the request is int32, but metadata values (int64): the map is left out.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -INT32 - 1 <= value <= INT32
    if isinstance(value, list):
        return any(_ints_out_of_range(v, top=False) for v in value)
    if isinstance(value, dict):
        return any(_ints_out_of_range(v, top=False) for k, v in value.items() if not (top and k == "metadata"))
    return False


def _url(value: Any, schemes: tuple[str, ...]) -> bool:
    if not isinstance(value, str) or any(c.isspace() or ord(c) < 32 for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme.lower() in schemes and bool(parts.netloc)


def _prose_problem(body: dict[str, Any], version: str, breaks: frozenset[str]) -> tuple[str, str] | None:
    cart = body["product_cart"]
    if not cart and not isinstance(body.get("product_collection_id"), str):
        return "PRODUCT_CART_EMTPY", "product_cart is empty"
    if len(cart) > 20 and "cart_unbounded" not in breaks:
        return INVALID, "at most 20 items in product_cart"
    least = 0 if "quantity_zero_ok" in breaks else 1
    if any(item["quantity"] < least for item in cart) or _ints_out_of_range(body):
        return INVALID, "a number is out of range"
    meta = body.get("metadata") or {}
    if len(meta) > 50:
        return "MAXIMUM_KEYS_REACHED", "Exceeds 50 key-value pairs"
    if any(len(k) > 40 or (isinstance(v, str) and len(v) > 500) for k, v in meta.items()):
        return INVALID, "metadata key or value too long"
    for key in ("return_url", "cancel_url"):
        if body.get(key) is not None and not _url(body[key], ("http", "https")):
            return INVALID, f"{key} must be a valid URL"
    theme = (body.get("customization") or {}).get("theme_config") or {}
    for key in ("font_primary_url", "font_secondary_url"):
        if theme.get(key) is not None and not _url(theme[key], ("https",)):
            return INVALID, f"{key} must be an https URL"
    if theme.get("pay_button_text") is not None and len(theme["pay_button_text"]) > 100:
        return INVALID, "pay_button_text is at most 100 characters"
    if theme.get("radius") is not None and not RADIUS.match(theme["radius"]):
        return INVALID, "radius must be a number followed by px, rem or em"
    data = body.get("subscription_data") or {}
    days = data.get("trial_period_days")
    if days is not None and not 0 <= days <= 10000 and "trial_days_unbounded" not in breaks:
        return INVALID, "trial_period_days must be between 0 and 10000"
    fields = body.get("custom_fields") or []
    if len(fields) > 5 and "custom_fields_unbounded" not in breaks:
        return PARAMS, "at most 5 custom fields"
    dropdown = any(f["field_type"] == "dropdown" and f.get("options") is None for f in fields)
    if dropdown and "dropdown_without_options_ok" not in breaks:
        return PARAMS, "a dropdown needs options"
    if len({f["key"] for f in fields}) < len(fields):
        return PARAMS, "custom field keys must be unique"
    flags = body.get("feature_flags") or {}
    phone = flags.get("require_phone_number") is True and flags.get("allow_phone_number_collection") is False
    known = "require_phone_number" in _fields(version, "CheckoutSessionFlags")
    if phone and known and "phone_collection_ignored" not in breaks:
        return PARAMS, "require_phone_number requires allow_phone_number_collection"
    address = body.get("billing_address")
    if body.get("confirm") is True and "confirm_without_billing_ok" not in breaks:
        minimal = body.get("minimal_address")
        if minimal is None and "single_page" in _fields(version, "CheckoutSessionFlags"):
            minimal = flags.get("single_page") is True  # SDK 1.123.0: the default follows single_page
        needed = ("zipcode",) if minimal is True else ("street", "city", "state", "zipcode")
        if not isinstance(address, dict) or any(not isinstance(address.get(k), str) for k in needed):
            return PARAMS, f"confirm requires billing_address with {', '.join(needed)}"
    method = body.get("payment_method_id")
    if method is not None:
        if body.get("confirm") is not True and "payment_method_without_confirm_ok" not in breaks:
            return PARAMS, "payment_method_id is only allowed when confirm is true"
        customer = body.get("customer")
        if not isinstance(customer, dict) or not isinstance(customer.get("customer_id"), str):
            return PARAMS, "payment_method_id requires an existing customer_id"
    if body.get("tax_id") is not None and address is None and "tax_id_without_billing_ok" not in breaks:
        return PARAMS, "tax_id requires billing_address with country"
    if version != "1.86.0":
        codes = body.get("discount_codes")
        if codes is not None and len(codes) > 20 and "discount_codes_unbounded" not in breaks:
            return PARAMS, "at most 20 discount codes"
        if codes is not None and body.get("discount_code") is not None and "discount_code_and_codes_ok" not in breaks:
            return PARAMS, "discount_code cannot be used together with discount_codes"
    return None


class _Shop:
    """The catalog (the fixtures file format), its sessions, and how this implementation prices."""

    def __init__(self, catalog: dict[str, Any], *, version: str, breaks: frozenset[str], tax_rate: float) -> None:
        self.version, self.breaks, self.tax_rate = version, breaks, tax_rate
        self.products = {p["id"]: p for p in catalog["products"]}
        self.customers = {c["id"]: c for c in catalog.get("customers", [])}
        self.discounts: dict[str, dict[str, Any]] = {}
        for d in catalog.get("discount_codes", []):
            entry = {"code": d} if isinstance(d, str) else dict(d)
            self.discounts[entry["code"]] = entry
        self.tax_ids = set(catalog.get("tax_ids", []))
        self.currencies = set(catalog.get("billing_currencies", ["USD", "INR"]))
        self.blocked = set(catalog.get("unsupported_countries", []))
        self.enabled = set(catalog.get("enabled_payment_methods", [])) or None
        self.collections = {c["id"] for c in catalog.get("collections", [])}
        self.sessions: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def subscription(self, product_id: str) -> bool:
        return self.products.get(product_id, {}).get("kind") == "subscription"

    def codes(self, body: dict[str, Any]) -> list[str]:
        if self.version != "1.86.0" and body.get("discount_codes") is not None:
            return list(body["discount_codes"])
        return [body["discount_code"]] if body.get("discount_code") is not None else []

    def refusal(self, body: dict[str, Any]) -> tuple[str, str] | None:
        for item in body["product_cart"]:
            product = self.products.get(item["product_id"])
            if product is None:
                if "unknown_product_ok" in self.breaks:
                    continue
                return "NOT_FOUND", f"Product {item['product_id'][:40]} not found"
            addons = item.get("addons") or []
            if addons and product.get("kind") != "subscription":
                return PARAMS, "addons are only valid for subscription products"
            known = {a["id"] for a in product.get("addons", [])}
            if len({a["addon_id"] for a in addons}) < len(addons):
                return "DUPLICATE_ADDON_IDS_IN_REQUEST", "duplicate addon ids"
            if any(a["addon_id"] not in known for a in addons):
                return "NOT_FOUND", "addon not found"
            attached = set(product.get("credit_entitlements", []))
            for grant in item.get("credit_entitlements") or []:
                try:
                    positive = float(grant["credits_amount"]) > 0
                except ValueError:
                    positive = False
                if grant["credit_entitlement_id"] not in attached or not positive:
                    return PARAMS, "credit entitlement not attached, or credits_amount not above zero"
            amount = item.get("amount")
            if product.get("pay_what_you_want") and product.get("kind") != "subscription":
                if amount is None and body.get("confirm") is True:
                    return "PAY_AS_YOU_WANT_AMOUNT_REQUIRED", "Amount is mandatory for pay as you want product"
                if amount is not None and amount < product.get("min_amount", 0):
                    return "REQUEST_AMOUNT_BELOW_MINIMUM", "Amount cannot be less than minimum amount"
        collection = body.get("product_collection_id")
        if collection is not None and collection not in self.collections:
            return "NOT_FOUND", "product collection not found"
        customer = body.get("customer") or {}
        known_customer = self.customers.get(customer["customer_id"]) if "customer_id" in customer else None
        if "customer_id" in customer and known_customer is None:
            return "NOT_FOUND", "Customer not found"
        method = body.get("payment_method_id")
        if method is not None and method not in (known_customer or {}).get("payment_method_ids", []):
            return PARAMS, "Payment method does not belong to the customer"
        country = (body.get("billing_address") or {}).get("country")
        if country in self.blocked:
            return "UNSUPPORTED_COUNTRY", f"Country {country} currently not supported"
        currency = body.get("billing_currency")
        if currency is not None and currency not in self.currencies:
            return "UNSUPPORTED_CURRENCY", "Can only request USD or INR for billing_currency"
        if currency not in (None, "USD") and any(self.subscription(i["product_id"]) for i in body["product_cart"]):
            return "UNSUPPORTED_BILLING_CURRENCY", "Non USD billing currency is not supported for subscriptions"
        allowed = body.get("allowed_payment_method_types")
        if allowed is not None and self.enabled is not None and not set(allowed) & self.enabled:
            return "NO_ELIGIBLE_PAYMENT_METHODS", "No eligible payment methods found"
        if any(code not in self.discounts for code in self.codes(body)):
            return "INVALID_DISCOUNT_CODE", "Invalid discount code"
        if body.get("tax_id") is not None and body["tax_id"] not in self.tax_ids:
            return "INVALID_TAX_ID", "Tax Id is invalid"
        if self.price(body)["current"]["total_amount"] > INT32:
            return "INVALID_QUANTITY", "the total exceeds the maximum amount"
        return None

    def price(self, body: dict[str, Any]) -> dict[str, Any]:
        """Price today's charge and the recurring one: lines, discounts in order, tax on top of exclusive lines."""
        trial = ((body.get("subscription_data") or {}).get("trial_period_days") or 0) > 0
        lines, now, later = [], [0, 0], [0, 0]  # [subtotal, taxable]
        for item in body["product_cart"]:
            product = self.products.get(item["product_id"])
            if product is None:
                continue
            sub = product.get("kind") == "subscription"
            pwyw = product.get("pay_what_you_want") and not sub and item.get("amount") is not None
            unit = item["amount"] if pwyw else product.get("price", 0)
            quantity = 1 if "preview_ignores_quantity" in self.breaks else item["quantity"]
            prices = {a["id"]: a["price"] for a in product.get("addons", [])}
            extra = sum(prices.get(a["addon_id"], 0) * a["quantity"] for a in item.get("addons") or [])
            cost = unit * quantity + extra
            lines.append((item, product, unit, sub))
            for bucket, counts in ((now, not (sub and trial)), (later, sub)):
                if counts:
                    bucket[0] += cost
                    bucket[1] += 0 if product.get("tax") == "inclusive" else cost
        rate = 0.0 if body.get("tax_id") is not None else self.tax_rate

        def breakup(subtotal: int, taxable: int) -> dict[str, int]:
            after = subtotal
            for code in self.codes(body):
                entry = self.discounts.get(code, {})
                if "amount" in entry:
                    after = max(0, after - int(entry["amount"]))
                else:
                    after -= after * int(entry.get("percentage", 10)) // 100
            tax = round(taxable * (after / subtotal) * rate) if subtotal else 0
            discount = subtotal - after
            total = subtotal + tax if "preview_discount_not_subtracted" in self.breaks else after + tax
            return {"subtotal": subtotal, "discount": discount, "tax": tax, "total_amount": total}

        return {"lines": lines, "current": breakup(*now), "recurring": breakup(*later) if any(
            sub for *_, sub in lines) else None, "trial": trial}  # fmt: skip


def _id(prefix: str, n: int) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(n))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def create_app(
    catalog: dict[str, Any],
    api_key: str,
    *,
    version: str = "1.113.0",
    breaks: frozenset[str] | set[str] | tuple[str, ...] = frozenset(),
    tax_rate: float = 0.18,
    extras: bool = True,
    nulls: bool = True,
    max_sessions: int = 5000,
) -> Starlette:
    """Return the implementation for ``catalog`` (the fixtures file format), speaking spec ``version``.

    ``breaks``: names from ``BREAKS[version]`` (none: faithful). ``tax_rate``: tax on top of prices that are not
    tax-inclusive (0: none). ``extras``: add fields the schema does not name. ``nulls``: answer absent optional
    fields as explicit nulls (else leave them out).
    """
    chosen = frozenset(breaks)
    unknown = chosen - set(BREAKS[version])
    if unknown:
        raise ValueError(f"unknown breaks for {version}: {sorted(unknown)}")
    shop = _Shop(catalog, version=version, breaks=chosen, tax_rate=tax_rate)
    session_fields = _fields(version, "CreateSessionResponse")
    preview_fields = _fields(version, "CalculateSessionResponse")

    def keyed(request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {api_key}"

    def shaped(body: dict[str, Any], names: set[str], extra: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in body.items() if k in names and (nulls or v is not None)}
        return {**out, **extra} if extras else out

    async def judged(request: Request) -> dict[str, Any] | Response:
        if not keyed(request):
            return _error(401, "UNAUTHORIZED", "You are not authorised to perform this action")
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(422, INVALID, "Your request body is invalid. Please check your request headers and object.")
        error = next(iter(_validator(version).iter_errors(body)), None)
        if error is not None:
            return _error(422, INVALID, f"Your request body is invalid: {error.message[:200]}")
        problem = _prose_problem(body, version, chosen) or shop.refusal(body)
        if problem is not None:
            return _error(422, *problem)
        return body

    async def create(request: Request) -> Response:
        body = await judged(request)
        if isinstance(body, Response):
            return body
        now = datetime.now(UTC)
        session_id = _id("cks_", 21)
        saved = body.get("payment_method_id") is not None
        payment_id = _id("pay_", 24) if body.get("confirm") is True else None
        customer = body.get("customer") or {}
        known = shop.customers.get(customer.get("customer_id", ""), {})
        record = {
            "id": session_id,
            "created_at": now + (timedelta(hours=1) if "created_at_in_future" in chosen else timedelta()),
            "customer_email": known.get("email", customer.get("email")),
            "customer_name": known.get("name", customer.get("name")),
            "payment_id": payment_id,
            "payment_status": ("succeeded" if saved else "requires_payment_method") if payment_id else None,
            "expires_at": now + (timedelta(minutes=15) if payment_id else timedelta(hours=24)),
        }
        with shop.lock:
            shop.sessions[session_id] = record
            while len(shop.sessions) > max_sessions:
                shop.sessions.popitem(last=False)
        url: str | None = f"https://test.checkout.dodopayments.com/session/{session_id}"
        if saved and "checkout_url_with_payment_method" not in chosen:
            url = None
        if "checkout_url_null" in chosen:
            url = None
        out: dict[str, Any] = {
            "session_id": session_id,
            "checkout_url": url,
            "payment_id": payment_id,
            "client_secret": f"{payment_id}_secret_{_id('', 16)}" if payment_id else None,
            "publishable_key": f"pk_test_{_id('', 20)}" if payment_id else None,
        }
        if "session_id_renamed" in chosen:
            out["id"] = out.pop("session_id")
            session_fields.add("id")
        return JSONResponse(shaped(out, session_fields, {"mode": "test", "expires_at": _stamp(record["expires_at"])}))

    async def preview(request: Request) -> Response:
        body = await judged(request)
        if isinstance(body, Response):
            return body
        priced = shop.price(body)
        if "crash_on_subscription_preview" in chosen and priced["recurring"] is not None:
            return _error(500, "INTERNAL_SERVER_ERROR", "Something went wrong")
        cart = []
        for item, product, unit, sub in priced["lines"]:
            taxed = product.get("tax") != "inclusive" and shop.tax_rate > 0
            line = {
                "product_id": item["product_id"], "quantity": item["quantity"], "og_price": unit,
                "discounted_price": unit, "currency": product["currency"], "og_currency": product["currency"],
                "tax_rate": round(shop.tax_rate * 10000) if taxed else 0, "tax_category": "saas",
                "meters": [], "is_usage_based": False, "tax_inclusive": product.get("tax") == "inclusive",
                "is_subscription": sub, "credit_entitlements": [],
            }  # fmt: skip
            if sub and version != "1.86.0":
                line["addons"] = [
                    {"addon_id": a["addon_id"], "quantity": a["quantity"], "name": a["addon_id"], "og_price": p,
                     "discounted_price": p, "og_currency": product["currency"], "currency": product["currency"],
                     "tax_category": "saas", "tax_inclusive": False, "tax_rate": 0, "single_quantity_price": p}
                    for a in item.get("addons") or []
                    for p in [next(x["price"] for x in product["addons"] if x["id"] == a["addon_id"])]
                ]  # fmt: skip
            cart.append(line)
        current = priced["current"]
        first = priced["lines"][0][1]["currency"] if priced["lines"] else "USD"
        days = (body.get("subscription_data") or {}).get("trial_period_days")
        out = {
            "total_price": current["subtotal"] if "preview_total_price_stale" in chosen else current["total_amount"],
            "currency": first,
            "product_cart": cart,
            "current_breakup": current,
            "billing_country": (body.get("billing_address") or {}).get("country", "US"),
            "is_byop": False,
            "recurring_breakup": priced["recurring"],
            "total_tax": current["tax"],
            "trial_period_days": days if priced["trial"] and priced["recurring"] is not None else None,
            "next_billing_date": None,
        }
        if priced["recurring"] is not None:
            ahead = timedelta(days=days) if priced["trial"] and days else timedelta(days=31)
            out["next_billing_date"] = _stamp(datetime.now(UTC) + ahead)
        extra = {"payment_method_required": current["total_amount"] > 0} if version != "1.86.0" else {}
        return JSONResponse(shaped(out, preview_fields, {**extra, "livemode": False}))

    async def status(request: Request) -> Response:
        if not keyed(request) and "auth_optional_on_get" not in chosen:
            return _error(401, "UNAUTHORIZED", "You are not authorised to perform this action")
        session_id = request.path_params["id"]
        with shop.lock:
            record = shop.sessions.get(session_id)
        if record is None and "unknown_session_200" in chosen:
            record = {"id": session_id, "created_at": datetime.now(UTC), "payment_id": None, "payment_status": None}
        if record is None or "get_404_for_fresh_session" in chosen:
            return _error(404, "NOT_FOUND", "Checkout session not found")
        out = {k: v for k, v in record.items() if k != "expires_at"}
        out["created_at"] = _stamp(record["created_at"])
        if "payment_id_before_payment" in chosen and out.get("payment_id") is None:
            out["payment_id"], out["payment_status"] = _id("pay_", 24), "succeeded"
        if not nulls:
            out = {k: v for k, v in out.items() if v is not None}
        return JSONResponse({**out, "object": "checkout_session"} if extras else out)

    async def elsewhere(request: Request) -> Response:
        if not keyed(request):
            return _error(401, "UNAUTHORIZED", "You are not authorised to perform this action")
        return _error(404, "NOT_FOUND", "Not found")

    return Starlette(
        routes=[
            Route("/checkouts", create, methods=["POST"]),
            Route("/checkouts/preview", preview, methods=["POST"]),
            Route("/checkouts/{id}", status, methods=["GET"]),
            Route("/{path:path}", elsewhere, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
    )

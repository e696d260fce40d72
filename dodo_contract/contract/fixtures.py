"""Load the catalog / fixtures file: what an implementation knows (products, customers, codes, account hints).

One format serves two readers: the reference mock uses it as its catalog, and the contract engine uses it to
build business-valid requests. JSON or TOML; every key but ``products`` is optional::

    {"products": [{"id": "prod_1", "price": 1000, "currency": "USD",
                   "pay_what_you_want": false, "min_amount": 0}],
     "customers": [{"id": "cus_1", "email": "a@example.com", "name": "Ada", "phone_number": null,
                    "payment_method_ids": ["pm_1"]}],
     "discount_codes": ["SAVE10", {"code": "HALF", "id": "dsc_half", "percentage": 50}],
     "tax_ids": ["DE123456789"],
     "billing_currencies": ["USD", "INR"],
     "unsupported_countries": ["AI"],
     "enabled_payment_methods": ["credit", "debit"]}

For Checkout Sessions (all optional, old files keep working): a product may say ``"kind": "subscription"``
(default ``"one_time"``); a subscription product may list its ``"addons"`` (``[{"id": "adn_1", "price": 500}]``,
prices in the product's currency) and any product the ``"credit_entitlements"`` attached to it (ids); the top
level may list ``"collections"`` (``[{"id": "pcol_1", "product_ids": ["prod_1"]}]``). They are read into
``Fixtures.checkout`` (``CheckoutCatalog``); ``POST /payments`` generators use the one-time products only.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .schemas import country_codes, currency_codes, payment_method_types

__all__ = [
    "Addon",
    "CheckoutCatalog",
    "Collection",
    "Customer",
    "Discount",
    "Fixtures",
    "Product",
    "default_fixtures",
    "load_fixtures",
]

DEFAULT_BILLING_CURRENCIES = ("USD", "INR")  # docs: "Can only request USD or INR for billing_currency"
DEFAULT_DISCOUNT_PERCENTAGE = 10
_KEYS = (
    "products",
    "customers",
    "discount_codes",
    "tax_ids",
    "billing_currencies",
    "unsupported_countries",
    "enabled_payment_methods",
    "collections",
)


@dataclass(frozen=True, slots=True)
class Product:
    """A product the implementation sells; ``price`` is in the smallest currency unit."""

    id: str
    price: int
    currency: str = "USD"
    pay_what_you_want: bool = False
    min_amount: int = 0


@dataclass(frozen=True, slots=True)
class Customer:
    """An existing customer, with the payment methods that belong to it."""

    id: str
    email: str
    name: str
    phone_number: str | None = None
    payment_method_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Discount:
    """A discount code; ``id`` is what a 200 returns as ``discount_id``; ``percentage`` is 0..100."""

    code: str
    id: str
    percentage: float = DEFAULT_DISCOUNT_PERCENTAGE

    def apply(self, total: int) -> int:
        """Return ``total`` less this discount, in whole minor units."""
        return total - int(total * self.percentage // 100)


@dataclass(frozen=True, slots=True)
class Fixtures:
    """Everything an implementation is known to hold. Build it with ``load_fixtures``."""

    products: tuple[Product, ...]
    customers: tuple[Customer, ...] = ()
    discounts: tuple[Discount, ...] = ()
    tax_ids: tuple[str, ...] = ()
    billing_currencies: tuple[str, ...] = DEFAULT_BILLING_CURRENCIES
    unsupported_countries: tuple[str, ...] = ()
    enabled_payment_methods: tuple[str, ...] = field(default_factory=payment_method_types)
    # Which keys the source actually gave: a default is a guess, and checks that would call a refusal a bug
    # (an unsupported currency, say) only trust what the user declared.
    declared: frozenset[str] = frozenset({"products"})
    checkout: CheckoutCatalog = field(default_factory=lambda: CheckoutCatalog())

    def product(self, product_id: str) -> Product | None:
        """Return the product with this id, or None."""
        return next((p for p in self.products if p.id == product_id), None)

    def customer(self, customer_id: str) -> Customer | None:
        """Return the customer with this id, or None."""
        return next((c for c in self.customers if c.id == customer_id), None)

    def discount(self, code: str) -> Discount | None:
        """Return the discount with this code, or None."""
        return next((d for d in self.discounts if d.code == code), None)

    def line_total(self, item: Any) -> int | None:
        """Return what one cart line costs at catalog prices (quantity x price, or x amount for pay-what-you-want).

        None when the line is not an object naming a catalog product; a missing or non-integer quantity or
        amount counts as 0.
        """
        product = self.product(str(item.get("product_id"))) if isinstance(item, dict) else None
        if product is None:
            return None
        unit = item.get("amount") if product.pay_what_you_want else product.price
        return _whole(item.get("quantity")) * _whole(unit)

    @property
    def supported_countries(self) -> tuple[str, ...]:
        """Return the spec's countries less the unsupported ones, in spec order."""
        blocked = set(self.unsupported_countries)
        return tuple(c for c in country_codes() if c not in blocked)

    def to_dict(self) -> dict[str, Any]:
        """Return the fixtures in the file format (round-trips through ``load_fixtures``)."""
        return _with_checkout(self, {
            "products": [
                {
                    "id": p.id,
                    "price": p.price,
                    "currency": p.currency,
                    "pay_what_you_want": p.pay_what_you_want,
                    "min_amount": p.min_amount,
                }
                for p in self.products
            ],
            "customers": [
                {
                    "id": c.id,
                    "email": c.email,
                    "name": c.name,
                    "phone_number": c.phone_number,
                    "payment_method_ids": list(c.payment_method_ids),
                }
                for c in self.customers
            ],
            "discount_codes": [{"code": d.code, "id": d.id, "percentage": d.percentage} for d in self.discounts],
            "tax_ids": list(self.tax_ids),
            "billing_currencies": list(self.billing_currencies),
            "unsupported_countries": list(self.unsupported_countries),
            "enabled_payment_methods": list(self.enabled_payment_methods),
        })  # fmt: skip


def _whole(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():  # JSON Schema: 1.0 is the integer 1
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def default_fixtures() -> Fixtures:
    """Return the catalog that ships with the package (the reference mock's default)."""
    return load_fixtures(Path(__file__).with_name("default_catalog.json"))


def load_fixtures(source: str | Path | Mapping[str, Any] | Fixtures) -> Fixtures:
    """Load fixtures from a JSON/TOML file path or a mapping; raise ``ConfigError`` naming the bad entry."""
    if isinstance(source, Fixtures):
        return source
    where = "fixtures"
    if isinstance(source, (str, Path)):
        path = Path(source)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read fixtures file {path}: {exc.strerror or exc}") from None
        data = _parse(text, path)
    elif isinstance(source, Mapping):
        data = dict(source)
    else:
        raise ConfigError(f"fixtures must be a file path or a mapping, not {type(source).__name__}")
    try:
        return _build(data)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _parse(text: str, path: Path) -> dict[str, Any]:
    try:
        if path.suffix.lower() == ".toml":
            return tomllib.loads(text)
        data = json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise ConfigError(f"{path} is not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be an object, not {type(data).__name__}")
    return data


def _build(data: dict[str, Any]) -> Fixtures:
    # Unknown keys (comments, fields of a richer catalog) are ignored: only what is read must be well-formed.
    products = tuple(_product(i, p) for i, p in enumerate(_list(data, "products", required=True)))
    if not products:
        raise ConfigError("products: at least one product is needed")
    customers = tuple(_customer(i, c) for i, c in enumerate(_list(data, "customers")))
    discounts = tuple(_discount(i, d) for i, d in enumerate(_list(data, "discount_codes")))
    for name, items in (("products", products), ("customers", customers)):
        _unique(name, [x.id for x in items])
    _unique("discount_codes", [d.code for d in discounts])
    kwargs: dict[str, Any] = {"products": products, "customers": customers, "discounts": discounts}
    kwargs["tax_ids"] = tuple(_strings(data, "tax_ids"))
    enums = {
        "billing_currencies": currency_codes(),
        "unsupported_countries": country_codes(),
        "enabled_payment_methods": payment_method_types(),
    }
    for key, allowed in enums.items():
        if key in data:
            # Codes are case-insensitive to a reader ("usd", "Us"); the spec's enums are not, so normalise.
            values = [_normalise(v, allowed) for v in _strings(data, key)]
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ConfigError(f"{key}: {', '.join(map(repr, bad))} not in the spec's enum")
            kwargs[key] = tuple(values)
    products = tuple(replace(p, currency=_normalise(p.currency, currency_codes())) for p in products)
    kwargs["products"] = products
    for p_index, product in enumerate(products):
        if product.currency not in currency_codes():
            raise ConfigError(f"products[{p_index}].currency: {product.currency!r} is not an ISO 4217 code")
    kwargs["declared"] = frozenset(k for k in _KEYS if k in data)
    kwargs["checkout"] = _checkout_catalog(data, products)
    return Fixtures(**kwargs)


def _normalise(value: str, allowed: tuple[str, ...]) -> str:
    for candidate in (value.strip().upper(), value.strip().lower()):
        if candidate in allowed:
            return candidate
    return value


def _list(data: Mapping[str, Any], key: str, *, required: bool = False) -> list[Any]:
    if key not in data:
        if required:
            raise ConfigError(f"{key}: missing (it is the one required key)")
        return []
    value = data[key]
    if not isinstance(value, list):
        raise ConfigError(f"{key}: must be a list, not {type(value).__name__}")
    return value


def _strings(data: Mapping[str, Any], key: str) -> list[str]:
    values = _list(data, key)
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v:
            raise ConfigError(f"{key}[{i}]: must be a non-empty string, got {v!r}")
    return values


def _unique(name: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ConfigError(f"{name}[{i}]: duplicate id {x!r}")
        seen.add(x)


def _entry(kind: str, index: int, raw: Any, spec: dict[str, tuple[type | tuple[type, ...], bool]]) -> dict[str, Any]:
    where = f"{kind}[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object, not {type(raw).__name__}")
    out: dict[str, Any] = {}
    for key, (types, required) in spec.items():
        if key not in raw or (raw[key] is None and not required):
            if required:
                raise ConfigError(f"{where}.{key}: missing")
            continue
        value = raw[key]
        if int in _tuple(types) and isinstance(value, float) and value.is_integer():
            value = int(value)  # 1000.0 from a JSON writer that knows no integers is still 1000
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in _tuple(types))
        if not ok or (isinstance(value, str) and not value and key != "phone_number"):
            raise ConfigError(f"{where}.{key}: expected {_type_names(types)}, got {value!r}")
        out[key] = value
    return out


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _type_names(types: type | tuple[type, ...]) -> str:
    return " or ".join("a non-empty string" if t is str else t.__name__ for t in _tuple(types))


def _product(index: int, raw: Any) -> Product:
    e = _entry(
        "products",
        index,
        raw,
        {
            "id": (str, True),
            "price": (int, not _is_pwyw(raw)),
            "currency": (str, False),
            "pay_what_you_want": (bool, False),
            "min_amount": (int, False),
        },
    )
    e.setdefault("price", e.get("min_amount", 0))
    for key in ("price", "min_amount"):
        if not 0 <= e.get(key, 0) <= 2**31 - 1:
            raise ConfigError(f"products[{index}].{key}: must be between 0 and 2147483647, got {e[key]}")
    return Product(**e)


def _is_pwyw(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("pay_what_you_want") is True


def _customer(index: int, raw: Any) -> Customer:
    e = _entry(
        "customers",
        index,
        raw,
        {
            "id": (str, True),
            "email": (str, True),
            "name": (str, False),
            "phone_number": (str, False),
            "payment_method_ids": (list, False),
        },
    )
    methods = e.pop("payment_method_ids", [])
    for i, m in enumerate(methods):
        if not isinstance(m, str) or not m:
            raise ConfigError(f"customers[{index}].payment_method_ids[{i}]: must be a non-empty string, got {m!r}")
    e.setdefault("name", e["email"].split("@")[0])
    return Customer(payment_method_ids=tuple(methods), **e)


def _discount(index: int, raw: Any) -> Discount:
    if isinstance(raw, str) and raw:
        raw = {"code": raw}
    e = _entry(
        "discount_codes", index, raw, {"code": (str, True), "id": (str, False), "percentage": ((int, float), False)}
    )
    if not 0 <= e.get("percentage", 0) <= 100:
        raise ConfigError(f"discount_codes[{index}].percentage: must be 0..100, got {e['percentage']}")
    e.setdefault("id", "dsc_" + hashlib.sha256(e["code"].encode()).hexdigest()[:16])
    return Discount(**e)


# --- Checkout Sessions: subscription products, their addons, credit entitlements, product collections --------
ONE_TIME, SUBSCRIPTION = "one_time", "subscription"


@dataclass(frozen=True, slots=True)
class Addon:
    """An addon of a subscription product; ``price`` in the smallest unit of the product's currency."""

    id: str
    price: int


@dataclass(frozen=True, slots=True)
class Collection:
    """A product collection (the collection-based checkout flow) and the products it offers."""

    id: str
    product_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckoutCatalog:
    """What Checkout Sessions need beyond the payments catalog (read from the same file; see the module docstring).

    ``subscriptions``: ids of the subscription products (every other product is one-time); ``addons``: (product id,
    its addons) pairs; ``entitlements``: (product id, the credit entitlement ids attached to it) pairs;
    ``collections``. Pairs, not maps, so that fixtures stay hashable.
    """

    subscriptions: frozenset[str] = frozenset()
    addons: tuple[tuple[str, tuple[Addon, ...]], ...] = ()
    entitlements: tuple[tuple[str, tuple[str, ...]], ...] = ()
    collections: tuple[Collection, ...] = ()

    def is_subscription(self, product_id: str) -> bool:
        """True when the product is a subscription."""
        return product_id in self.subscriptions

    def addons_of(self, product_id: str) -> tuple[Addon, ...]:
        """Return the addons of a product (none for a one-time product)."""
        return next((found for pid, found in self.addons if pid == product_id), ())

    def addon(self, product_id: str, addon_id: str) -> Addon | None:
        """Return the addon ``addon_id`` of a product, or None."""
        return next((a for a in self.addons_of(product_id) if a.id == addon_id), None)

    def entitlements_of(self, product_id: str) -> tuple[str, ...]:
        """Return the credit entitlement ids attached to a product."""
        return next((found for pid, found in self.entitlements if pid == product_id), ())

    def collection(self, collection_id: str) -> Collection | None:
        """Return the collection with this id, or None."""
        return next((c for c in self.collections if c.id == collection_id), None)

    def one_time(self, products: Sequence[Product]) -> tuple[Product, ...]:
        """Return the one-time products among ``products`` (what ``POST /payments`` can sell), in order."""
        return tuple(p for p in products if p.id not in self.subscriptions)


def _checkout_catalog(data: Mapping[str, Any], products: Sequence[Product]) -> CheckoutCatalog:
    raw_products = data.get("products") or []
    subscriptions: set[str] = set()
    addons: dict[str, tuple[Addon, ...]] = {}
    entitlements: dict[str, tuple[str, ...]] = {}
    for index, (raw, product) in enumerate(zip(raw_products, products, strict=True)):
        where = f"products[{index}]"
        kind = raw.get("kind", ONE_TIME)
        if kind not in (ONE_TIME, SUBSCRIPTION):
            raise ConfigError(f"{where}.kind: must be {ONE_TIME!r} or {SUBSCRIPTION!r}, got {kind!r}")
        if kind == SUBSCRIPTION:
            subscriptions.add(product.id)
        found = tuple(_addon(f"{where}.addons[{i}]", a) for i, a in enumerate(_list(raw, "addons")))
        if found and kind != SUBSCRIPTION:
            raise ConfigError(f"{where}.addons: only a subscription product has addons (the docs say so)")
        _unique(f"{where}.addons", [a.id for a in found])
        if found:
            addons[product.id] = found
        ids = tuple(_strings(raw, "credit_entitlements"))
        _unique(f"{where}.credit_entitlements", ids)
        if ids:
            entitlements[product.id] = ids
    collections = tuple(_collection(i, c, products) for i, c in enumerate(_list(data, "collections")))
    _unique("collections", [c.id for c in collections])
    return CheckoutCatalog(frozenset(subscriptions), tuple(addons.items()), tuple(entitlements.items()), collections)


def _addon(where: str, raw: Any) -> Addon:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object, not {type(raw).__name__}")
    addon_id, price = raw.get("id"), raw.get("price")
    if not isinstance(addon_id, str) or not addon_id:
        raise ConfigError(f"{where}.id: expected a non-empty string, got {addon_id!r}")
    if isinstance(price, float) and price.is_integer():
        price = int(price)
    if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= 2**31 - 1:
        raise ConfigError(f"{where}.price: must be an integer between 0 and 2147483647, got {price!r}")
    return Addon(addon_id, price)


def _collection(index: int, raw: Any, products: Sequence[Product]) -> Collection:
    where = f"collections[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object, not {type(raw).__name__}")
    collection_id = raw.get("id")
    if not isinstance(collection_id, str) or not collection_id:
        raise ConfigError(f"{where}.id: expected a non-empty string, got {collection_id!r}")
    ids = tuple(_strings(raw, "product_ids"))
    known = {p.id for p in products}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ConfigError(f"{where}.product_ids: {', '.join(map(repr, unknown))} not among the products")
    return Collection(collection_id, ids)


def _with_checkout(fx: Fixtures, out: dict[str, Any]) -> dict[str, Any]:
    """Return ``to_dict``'s output with the Checkout Sessions keys added (none for a catalog without any of them)."""
    cat = fx.checkout
    for entry in out["products"]:
        if cat.is_subscription(entry["id"]):
            entry["kind"] = SUBSCRIPTION
        if cat.addons_of(entry["id"]):
            entry["addons"] = [{"id": a.id, "price": a.price} for a in cat.addons_of(entry["id"])]
        if cat.entitlements_of(entry["id"]):
            entry["credit_entitlements"] = list(cat.entitlements_of(entry["id"]))
    if cat.collections:
        out["collections"] = [{"id": c.id, "product_ids": list(c.product_ids)} for c in cat.collections]
    return out

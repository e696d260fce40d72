"""Load the catalog / fixtures file: what an implementation knows (products, customers, codes, account hints).

One format serves two readers: the reference mock uses it as its catalog, and the contract engine uses it to
build business-valid requests. JSON or TOML; every key but ``products`` is optional::

    {"products": [{"id": "prod_1", "price": 1000, "currency": "USD",
                   "pay_what_you_want": false, "min_amount": 0, "tax": "exclusive"}],
     "customers": [{"id": "cus_1", "email": "a@example.com", "name": "Ada", "phone_number": null,
                    "payment_method_ids": ["pm_1"]}],
     "discount_codes": ["SAVE10", {"code": "HALF", "id": "dsc_half", "percentage": 50},
                        {"code": "FIVE", "id": "dsc_five", "amount": 500}],
     "tax_ids": ["DE123456789"],
     "billing_currencies": ["USD", "INR"],
     "unsupported_countries": ["AI"],
     "enabled_payment_methods": ["credit", "debit"],
     "minimum_charge": {"USD": 50, "INR": 5000}}

Amounts (``price``, ``min_amount``, a flat discount's ``amount``, ``minimum_charge``) are in the smallest unit of
the currency (``contract.money``: cents, yen, fils). A product's ``tax`` says whether its price includes its tax
(``inclusive``), excludes it (``exclusive``: tax may come on top) or is not known (``unknown``, the default).
A discount has a ``percentage`` (0..100, default 10) or an ``amount`` (a flat reduction, in the minor units of
the cart's currency), never both. ``minimum_charge`` is one number for every currency or a map currency ->
amount; left out, ``ContractSettings.minimum_charge`` applies.

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
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._catalog_parse import _list, _strings, _unique
from .checkout_catalog import Addon, CheckoutCatalog, Collection, _checkout_catalog, _with_checkout
from .money import TAX_TREATMENTS
from .schemas import country_codes, currency_codes, payment_method_types

__all__ = [
    "Addon",
    "CheckoutCatalog",
    "Collection",
    "Customer",
    "Discount",
    "Fixtures",
    "Product",
    "default_catalog_text",
    "default_fixtures",
    "load_fixtures",
    "write_default_catalog",
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
    "minimum_charge",
)


@dataclass(frozen=True, slots=True)
class Product:
    """A product the implementation sells; ``price`` is in the smallest currency unit."""

    id: str
    price: int
    currency: str = "USD"
    pay_what_you_want: bool = False
    min_amount: int = 0
    tax: str = "unknown"  # "inclusive", "exclusive" or "unknown": whether the price includes its tax


@dataclass(frozen=True, slots=True)
class Customer:
    """An existing customer, with the payment methods that belong to it."""

    id: str
    email: str
    name: str
    phone_number: str | None = None
    payment_method_ids: tuple[str, ...] = ()
    named: bool = True  # False: the file gave no name (``name`` is then the email's local part, a guess)


@dataclass(frozen=True, slots=True)
class Discount:
    """A discount code; ``id`` is what a 200 returns as ``discount_id``.

    ``percentage`` (0..100) takes that share off; ``amount``, when given, is a flat reduction in minor units
    instead (the percentage is then ignored).
    """

    code: str
    id: str
    percentage: float = DEFAULT_DISCOUNT_PERCENTAGE
    amount: int | None = None
    id_given: bool = True  # False: the file gave no id (``id`` is then made up, and a server's own may differ)

    @property
    def flat(self) -> bool:
        """True for a flat discount (an ``amount``), False for a percentage."""
        return self.amount is not None

    def apply(self, total: int) -> int:
        """Return ``total`` less this discount, in whole minor units (never below 0)."""
        if self.amount is not None:
            return max(total - self.amount, 0)
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
    # (currency, amount) pairs; currency "*" is every currency. Empty: ContractSettings.minimum_charge applies.
    minimum_charges: tuple[tuple[str, int], ...] = ()

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

    def minimum_charge(self, currency: str | None, default: int) -> int:
        """Return the catalog's minimum charge in ``currency`` (minor units), else ``default`` (the setting)."""
        table = dict(self.minimum_charges)
        if currency is not None and currency in table:
            return table[currency]
        return table.get("*", default)

    def cart_currency(self, cart: Any) -> str | None:
        """Return the one catalog currency of a cart's products; None when a line is unknown or they differ."""
        lines = cart if isinstance(cart, list) else []
        found = {self.product(str(i.get("product_id"))) if isinstance(i, dict) else None for i in lines}
        if not found or None in found:
            return None
        currencies = {p.currency for p in found if p is not None}
        return currencies.pop() if len(currencies) == 1 else None

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
                    "tax": p.tax,
                }
                for p in self.products
            ],
            "customers": [
                {
                    "id": c.id,
                    "email": c.email,
                    **({"name": c.name} if c.named else {}),
                    "phone_number": c.phone_number,
                    "payment_method_ids": list(c.payment_method_ids),
                }
                for c in self.customers
            ],
            "discount_codes": [
                {
                    "code": d.code,
                    **({"id": d.id} if d.id_given else {}),
                    **({"amount": d.amount} if d.flat else {"percentage": d.percentage}),
                }
                for d in self.discounts
            ],
            "tax_ids": list(self.tax_ids),
            "billing_currencies": list(self.billing_currencies),
            "unsupported_countries": list(self.unsupported_countries),
            "enabled_payment_methods": list(self.enabled_payment_methods),
            **({"minimum_charge": _charges_out(self.minimum_charges)} if self.minimum_charges else {}),
        })  # fmt: skip


def _charges_out(charges: tuple[tuple[str, int], ...]) -> int | dict[str, int]:
    table = dict(charges)
    return table["*"] if set(table) == {"*"} else table


def _whole(value: Any) -> int:
    if isinstance(value, float) and value.is_integer():  # JSON Schema: 1.0 is the integer 1
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def default_catalog_text() -> str:
    """Return the built-in catalog as its file is written (JSON, the fixtures format): a catalog to start from."""
    return Path(__file__).with_name("default_catalog.json").read_text(encoding="utf-8")


def write_default_catalog(path: str | Path, *, force: bool = False) -> Path:
    """Write the built-in catalog to ``path``; refuse (``ConfigError``) to overwrite a file unless ``force``.

    The file is written whole or not at all (a temporary file renamed into place).
    """
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{target} is a directory; name the catalog file to write")
    if target.exists() and not force:
        raise ConfigError(f"{target} exists; pass --force to overwrite it")
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(default_catalog_text(), encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


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
    kwargs["minimum_charges"] = _minimum_charges(data.get("minimum_charge"))
    kwargs["declared"] = frozenset(k for k in _KEYS if k in data)
    kwargs["checkout"] = _checkout_catalog(data, products)
    return Fixtures(**kwargs)


def _minimum_charges(raw: Any) -> tuple[tuple[str, int], ...]:
    def amount(value: Any, where: str) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31 - 1:
            raise ConfigError(f"{where}: must be an integer from 0 to 2147483647 (minor units), got {value!r}")
        return value

    if raw is None:
        return ()
    if not isinstance(raw, dict):
        return (("*", amount(raw, "minimum_charge")),)
    out = []
    for currency, value in raw.items():
        code = _normalise(str(currency), currency_codes())
        if code not in currency_codes():
            raise ConfigError(f"minimum_charge: {currency!r} is not an ISO 4217 code")
        out.append((code, amount(value, f"minimum_charge.{currency}")))
    return tuple(sorted(out))


def _normalise(value: str, allowed: tuple[str, ...]) -> str:
    for candidate in (value.strip().upper(), value.strip().lower()):
        if candidate in allowed:
            return candidate
    return value


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
            "tax": (str, False),
        },
    )
    e.setdefault("price", e.get("min_amount", 0))
    if e.get("tax", "unknown").lower() not in TAX_TREATMENTS:
        raise ConfigError(f"products[{index}].tax: must be one of {', '.join(TAX_TREATMENTS)}, got {e['tax']!r}")
    e["tax"] = e.get("tax", "unknown").lower()
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
    named = "name" in e
    e.setdefault("name", e["email"].split("@")[0])
    return Customer(payment_method_ids=tuple(methods), named=named, **e)


def _discount(index: int, raw: Any) -> Discount:
    if isinstance(raw, str) and raw:
        raw = {"code": raw}
    e = _entry(
        "discount_codes",
        index,
        raw,
        {"code": (str, True), "id": (str, False), "percentage": ((int, float), False), "amount": (int, False)},
    )
    if not 0 <= e.get("percentage", 0) <= 100:
        raise ConfigError(f"discount_codes[{index}].percentage: must be 0..100, got {e['percentage']}")
    if "amount" in e and "percentage" in e:
        raise ConfigError(f"discount_codes[{index}]: give a percentage or a flat amount, not both")
    if not 0 <= e.get("amount", 0) <= 2**31 - 1:
        raise ConfigError(f"discount_codes[{index}].amount: must be 0..2147483647 (minor units), got {e['amount']}")
    id_given = "id" in e
    e.setdefault("id", "dsc_" + hashlib.sha256(e["code"].encode()).hexdigest()[:16])
    return Discount(id_given=id_given, **e)

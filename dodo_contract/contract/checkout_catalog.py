"""Read what Checkout Sessions need from a catalog file: subscription products, addons, entitlements, collections.

The keys are documented in ``fixtures``; they live in the same file and are read into ``Fixtures.checkout``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ._catalog_parse import _list, _strings, _unique

if TYPE_CHECKING:
    from .fixtures import Fixtures, Product

__all__ = ["ONE_TIME", "SUBSCRIPTION", "Addon", "CheckoutCatalog", "Collection"]

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

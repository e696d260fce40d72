"""The value pools and the seeded ``_Dice`` decoder that the payload strategies pick every leaf value from."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

T = TypeVar("T")
Payload = dict[str, Any]
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)

# --- value pools -------------------------------------------------------------------------------------------
# NFC-stable text without controls or edge spaces: a server that trims or normalises is not to be blamed.
_FIRST = ("Ada", "Grace", "José", "Zoë", "Łukasz", "Søren", "François", "Αθηνά", "Дмитрий", "小龍", "さくら",
          "محمد", "अनन्या", "Nguyễn", "İlkay", "Mary-Jane", "Chloé", "D'Arcy", "Ōta", "Dodo 🦤")  # fmt: skip
_LAST = ("Lovelace", "Hopper", "Álvarez", "Ünlü", "Nowak", "Kierkegaard", "Dubois", "Παπαδοπούλου", "Иванова",
         "李", "山田", "الحسن", "शर्मा", "Thị Minh", "Yılmaz", "O'Brien", "Smith-Jones", "Müller")  # fmt: skip
# Real names run long (several given names, family names, titles): a name comes back whole, never truncated.
LONG_NAMES = (
    "Maria Fernanda de los Ángeles Guadalupe Hernández y Rodríguez-Ocampo de la Santísima Trinidad Álvarez",
    "Дмитрий Александрович Константинопольский-Преображенский Великолепный Второй Младший Старший Друг",
    "Ōtsuka Hanako 大塚花子 née Yamamoto-Nakamura, Dr. phil. habil., Honorary Fellow of the Society 🦤",
)
NAMES = (*_FIRST, *(f"{f} {la}" for f, la in itertools.product(_FIRST, _LAST)), *LONG_NAMES)
STREETS = ("1 Infinite Loop", "221B Baker Street", "Calle de Alcalá 42", "Øster Allé 5", "Straße des 17. Juni 135",
           "ул. Тверская, д. 7", "千代田区千代田1-1", "12 Rue de l'Église", "Av. Paulista, 1578",
           "MG Road 12, 3rd Floor", "Apt #5, 742 Evergreen Terrace", "P.O. Box 1234", "Çırağan Cd. No:32")  # fmt: skip
CITIES = ("San Francisco", "London", "Zürich", "São Paulo", "Kraków", "Αθήνα", "Москва", "東京", "Bengaluru",
          "Reykjavík", "Montréal", "İstanbul", "Hà Nội", "القاهرة", "New York", "Berlin")  # fmt: skip
STATES = ("CA", "NY", "Île-de-France", "Bayern", "Maharashtra", "Ontario", "東京都", "Κρήτη", "Región de Murcia")
ZIPCODES = ("94105", "10001", "SW1A 1AA", "75001", "10115", "110001", "100-0001", "H3Z 2Y7", "01310-100", "2000")
# Upper case and plus-addressing are ordinary in real traffic (a server may store them folded, never refuse them).
_EMAIL_LOCALS = ("ada", "grace.hopper", "jose_alvarez", "zoe+test", "user", "a", "first.last", "dodo-bird", "x9",
                 "Ada.Lovelace", "GRACE", "billing+invoices", "ada+2026-q1")  # fmt: skip
_EMAIL_DOMAINS = ("example.com", "example.org", "mail.example.net", "test.co.uk", "example.io", "shop.example",
                  "Example.COM")  # fmt: skip
# (prefix, digits to append): E.164 numbers of a plausible length for their country.
_PHONES = (("+1415555", 4), ("+44791", 7), ("+9198", 8), ("+49151", 8), ("+8190", 8), ("+55119", 8), ("+614", 8))
_URL_HOSTS = ("example.com", "shop.example.org", "www.example.net", "example.io:8443", "sub.domain.example.co.uk")
_URL_TAILS = ("", "/", "/thanks", "/checkout/done", "/return?order=123", "/r?a=1&b=two", "/done#top", "?ref=email")
_META_KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
_META_KEYS = ("order_id", "user-id", "campaign", "ref", "a", "X", "plan_tier", "utm_source", "k" * 40, "0", "_", "-")
_META_VALUES = ("", "1", "abc", "Zürich", "注文 #42", "emoji 🦤🎉", "line one\nline two", "tab\tseparated",
                "x" * 500, "é" * 250, '{"json": "inside"}', "   spaced   ", "null", "true", "0")  # fmt: skip
# Free text: no controls, surrogates or combining marks, and at most 4 UTF-8 bytes a character, so 125
# characters stay within the 500 limit whether a server counts characters, UTF-16 units or bytes.
_TEXT_CHARS = "abcxyzABCXYZ0189 .,-'#/&()àéîõüçñßøåÆŒαβγΩжщЯ中文字東京عربي🦤🎉"
_EXTRA_KEYS = ("x_client_ref", "x_debug", "unknown_field")  # no name a later spec version gives a meaning to
# Metadata values other than strings (spec 1.113.0: integer, number or boolean): JSON round-trip stable numbers.
_META_NUMBERS: tuple[Any, ...] = (0, 1, -1, 42, 2**31, 2**53, -(2**63), 9.99, 0.5, -1.25, 1e-7, 3.0e10, True, False)
BUSINESS_NAMES = ("Acme GmbH", "Zürich Trading AG", "Globex Corporation", "株式会社ドードー", "Ólafsson & Co. ehf.",
                  "Société Générale des Oiseaux SARL", "Tata Dodo Pvt Ltd", "Initech LLC")  # fmt: skip
_EXTRA_VALUES: tuple[Any, ...] = ("x", "", 0, 1, -1, True, False, None, 3.5, [], {}, [1, "a"], {"nested": {"a": 1}})
_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKOUT = "https://test.checkout.dodopayments.com/"
_EPOCH_2020 = 1_577_836_800
_TWENTY_YEARS = 20 * 365 * 86_400
# (fraction digits, UTC offset in minutes or None for "Z")
_TIME_STYLES: tuple[tuple[int, int | None], ...] = ((0, None), (0, 0), (0, 330), (0, -480), (3, None), (6, 60))


class _Dice:
    """Every leaf choice of one payload, from one seed; seed 0 takes the simplest option everywhere."""

    __slots__ = ("_rng",)

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed) if seed else None

    def below(self, n: int) -> int:
        return self._rng.randrange(n) if self._rng else 0

    def chance(self, numerator: int, denominator: int) -> bool:
        return self.below(denominator) >= denominator - numerator

    def pick(self, options: Sequence[T]) -> T:
        return options[self.below(len(options))]

    def between(self, low: int, high: int) -> int:
        if self._rng is None:
            return low
        if self._rng.randrange(8) == 0:  # the bounds themselves, more often than uniform
            return low if self._rng.randrange(2) else high
        return self._rng.randint(low, high)

    def text(self, alphabet: str, low: int, high: int) -> str:
        size = self.between(low, high)
        return "".join(self._rng.choices(alphabet, k=size)) if self._rng else alphabet[0] * size

    def sample(self, options: Sequence[T], k: int) -> list[T]:
        return self._rng.sample(options, k) if self._rng else list(options[:k])

    def ident(self, prefix: str) -> str:
        number = self._rng.getrandbits(126) if self._rng else 0
        chars = []
        for _ in range(21):
            number, digit = divmod(number, 62)
            chars.append(_ID_CHARS[digit])
        return prefix + "".join(chars)


def _name(d: _Dice) -> str:
    return d.pick(NAMES) if not d.chance(1, 7) else (d.text(_TEXT_CHARS, 1, 30).strip() or "X")


def _email(d: _Dice) -> str:
    number = str(d.between(0, 9999)) if d.chance(1, 2) else ""
    return f"{d.pick(_EMAIL_LOCALS)}{number}@{d.pick(_EMAIL_DOMAINS)}"


def _phone(d: _Dice) -> str:
    head, width = d.pick(_PHONES)
    return f"{head}{d.below(10**width):0{width}d}"


def _url(d: _Dice) -> str:
    scheme = "http" if d.chance(1, 4) else "https"  # plain http:// (a local shop, a staging site) is valid too
    return f"{scheme}://{d.pick(_URL_HOSTS)}{d.pick(_URL_TAILS)}"


def _maybe(d: _Dice, make: Callable[[_Dice], Any]) -> Any:
    return None if d.chance(1, 3) else make(d)


def _metadata(d: _Dice, *, numbers: bool = False) -> dict[str, Any]:
    """Return metadata: string values, and with ``numbers`` (spec 1.113.0) integers, numbers and booleans too."""
    kind = d.below(10)
    if kind < 2:
        return {}
    size = d.between(1, 3) if kind < 8 else (d.between(4, 50) if kind < 9 else 50)
    out: dict[str, Any] = {}
    for i in range(size):
        key = d.pick(_META_KEYS) if not d.chance(1, 4) else d.text(_META_KEY_CHARS, 1, 40)
        if key in out:
            key = f"{key[:34]}_{i}"
        if numbers and d.chance(1, 3):
            out[key] = d.pick(_META_NUMBERS)
        else:
            out[key] = d.pick(_META_VALUES) if not d.chance(1, 4) else d.text(_TEXT_CHARS, 0, 125)
    return out


def _extras(d: _Dice) -> Payload:
    keys = d.sample(_EXTRA_KEYS, 1 + d.below(len(_EXTRA_KEYS)))
    return {k: json.loads(json.dumps(d.pick(_EXTRA_VALUES))) for k in keys}


def _timestamp(seconds: int, style: tuple[int, int | None]) -> str:
    digits, offset = style
    moment = datetime.fromtimestamp(seconds, tz=UTC if offset is None else timezone(timedelta(minutes=offset)))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{seconds * 7919 % 10**digits:0{digits}d}" if digits else "")
    if offset is None:
        return text + "Z"
    return f"{text}{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"

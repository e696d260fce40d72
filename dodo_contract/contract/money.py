"""Money as contract data: how many minor units a currency has, and what a price becomes in them.

Dodo states amounts in the currency's smallest unit (``total_amount`` in 1.113.0: "in the smallest currency unit,
e.g. cents"), so the exponent of ISO 4217 decides what 1000 means: ten dollars, a thousand yen, one dinar. The
table lists the currencies whose exponent is not 2 (ISO 4217, list one, as of 2024); every other one has 2.
"""

from __future__ import annotations

__all__ = ["MINOR_UNIT_EXPONENTS", "TAX_TREATMENTS", "minor_unit_exponent"]

# ISO 4217 currencies with an exponent other than 2 (the default).
MINOR_UNIT_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
         "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}  # fmt: skip

TAX_TREATMENTS = ("inclusive", "exclusive", "unknown")  # a product's price includes its tax, excludes it, or unknown


def minor_unit_exponent(currency: str) -> int:
    """Return how many decimals ``currency`` has (JPY 0, KWD 3, most 2); an unknown code counts as 2."""
    return MINOR_UNIT_EXPONENTS.get(currency.upper(), 2)

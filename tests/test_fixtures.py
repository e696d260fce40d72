"""The catalog / fixtures format: loading JSON and TOML, defaults, normalisation, and errors naming the entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dodo_contract import ConfigError, Fixtures, load_fixtures
from dodo_contract.contract.fixtures import default_fixtures
from dodo_contract.contract.schemas import country_codes, payment_method_types

MINIMAL = {"products": [{"id": "prod_1", "price": 1000}]}


def test_minimal_catalog_gets_documented_defaults() -> None:
    fx = load_fixtures(MINIMAL)
    (product,) = fx.products
    assert (product.id, product.price, product.currency, product.pay_what_you_want, product.min_amount) == (
        "prod_1",
        1000,
        "USD",
        False,
        0,
    )
    assert fx.customers == () and fx.discounts == () and fx.tax_ids == ()
    assert fx.billing_currencies == ("USD", "INR")
    assert fx.unsupported_countries == ()
    assert fx.enabled_payment_methods == payment_method_types()
    assert fx.supported_countries == country_codes()
    assert fx.declared == {"products"}


def test_json_and_toml_files_load_the_same(tmp_path: Path) -> None:
    data = {
        "products": [{"id": "p", "price": 5, "currency": "INR", "pay_what_you_want": True, "min_amount": 2}],
        "customers": [{"id": "c", "email": "c@example.com", "payment_method_ids": ["pm"]}],
        "discount_codes": ["TEN", {"code": "HALF", "id": "dsc_half", "percentage": 50}],
        "tax_ids": ["T1"],
        "unsupported_countries": ["KP"],
    }
    (tmp_path / "c.json").write_text(json.dumps(data))
    (tmp_path / "c.toml").write_text(
        "\n".join(
            [
                'tax_ids = ["T1"]',
                'unsupported_countries = ["KP"]',
                'discount_codes = ["TEN", {code = "HALF", id = "dsc_half", percentage = 50}]',
                "[[products]]",
                'id = "p"',
                "price = 5",
                'currency = "INR"',
                "pay_what_you_want = true",
                "min_amount = 2",
                "[[customers]]",
                'id = "c"',
                'email = "c@example.com"',
                'payment_method_ids = ["pm"]',
            ]
        )
    )
    from_json, from_toml = load_fixtures(tmp_path / "c.json"), load_fixtures(str(tmp_path / "c.toml"))
    assert from_json == from_toml
    assert from_json.customer("c") is not None and from_json.customer("c").name == "c"  # type: ignore[union-attr]
    assert from_json.discount("TEN") is not None and from_json.discount("HALF").percentage == 50  # type: ignore[union-attr]
    assert from_json.declared == {"products", "customers", "discount_codes", "tax_ids", "unsupported_countries"}


def test_codes_are_normalised_and_integral_floats_accepted() -> None:
    fx = load_fixtures(
        {
            "products": [{"id": "p", "price": 1000.0, "currency": "usd"}],
            "billing_currencies": ["usd"],
            "unsupported_countries": ["kp"],
            "enabled_payment_methods": ["Credit"],
            "_comment": "unknown keys are ignored",
        }
    )
    assert fx.products[0].price == 1000 and fx.products[0].currency == "USD"
    assert (fx.billing_currencies, fx.unsupported_countries, fx.enabled_payment_methods) == (
        ("USD",),
        ("KP",),
        ("credit",),
    )


def test_round_trip_and_identity() -> None:
    fx = default_fixtures()
    assert load_fixtures(fx) is fx
    again = load_fixtures(fx.to_dict())
    assert isinstance(again, Fixtures)
    assert (again.products, again.customers, again.discounts) == (fx.products, fx.customers, fx.discounts)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "products: missing"),
        ({"products": []}, "at least one product"),
        ({"products": {"id": "p"}}, "products: must be a list"),
        ({"products": ["p"]}, "products[0]: must be an object"),
        ({"products": [{"price": 1}]}, "products[0].id: missing"),
        ({"products": [{"id": "p", "price": "10"}]}, "products[0].price: expected int"),
        ({"products": [{"id": "p", "price": True}]}, "products[0].price: expected int"),
        ({"products": [{"id": "p", "price": -1}]}, "products[0].price: must be between 0 and 2147483647"),
        ({"products": [{"id": "p", "price": 1, "currency": "DOLLARS"}]}, "products[0].currency"),
        ({"products": [{"id": "p", "price": 1}, {"id": "p", "price": 2}]}, "products[1]: duplicate id 'p'"),
        ({**MINIMAL, "customers": [{"id": "c"}]}, "customers[0].email: missing"),
        ({**MINIMAL, "customers": [{"id": "c", "email": "e", "payment_method_ids": [1]}]}, "payment_method_ids[0]"),
        ({**MINIMAL, "discount_codes": [{"code": "X", "percentage": 101}]}, "discount_codes[0].percentage"),
        ({**MINIMAL, "billing_currencies": ["USD", "DOLLAR"]}, "billing_currencies: 'DOLLAR'"),
        ({**MINIMAL, "unsupported_countries": "KP"}, "unsupported_countries: must be a list"),
        ({**MINIMAL, "tax_ids": [""]}, "tax_ids[0]: must be a non-empty string"),
    ],
)
def test_malformed_catalogs_name_the_bad_entry(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        load_fixtures(data)
    assert message in str(info.value)


def test_file_errors_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read fixtures file"):
        load_fixtures(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_fixtures(bad)
    toml = tmp_path / "bad.toml"
    toml.write_text("products = [")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_fixtures(toml)
    array = tmp_path / "array.json"
    array.write_text("[]")
    with pytest.raises(ConfigError, match="top level must be an object"):
        load_fixtures(array)
    with pytest.raises(ConfigError, match="must be a file path or a mapping"):
        load_fixtures(42)  # type: ignore[arg-type]


def test_line_total_and_discount_arithmetic() -> None:
    fx = load_fixtures(
        {
            "products": [{"id": "p", "price": 250}, {"id": "tip", "pay_what_you_want": True, "min_amount": 10}],
            "discount_codes": [{"code": "Q", "percentage": 25}],
        }
    )
    assert fx.line_total({"product_id": "p", "quantity": 3, "amount": 9999}) == 750  # amount ignored: fixed price
    assert fx.line_total({"product_id": "tip", "quantity": 2, "amount": 40}) == 80
    assert fx.line_total({"product_id": "tip", "quantity": 2}) == 0
    assert fx.line_total({"product_id": "nope", "quantity": 1}) is None
    assert fx.line_total("p") is None
    assert fx.discount("Q").apply(1001) == 751  # type: ignore[union-attr]


# --- issue 10: what real catalogs hold (flat discounts, tax treatment, a minimum charge) ---------------------

OLD_FILES = sorted((Path(__file__).parent / "cases" / "mock").glob("*catalog.*"))


@pytest.mark.parametrize("path", [p for p in OLD_FILES if not p.name.startswith("bad_")], ids=lambda p: p.name)
def test_old_fixtures_files_keep_working_with_the_defaults_of_the_new_fields(path: Path) -> None:
    fx = load_fixtures(path)
    assert all(p.tax == "unknown" for p in fx.products)
    assert all(not d.flat for d in fx.discounts)
    assert fx.minimum_charges == () and fx.minimum_charge("USD", 100) == 100
    assert load_fixtures(fx.to_dict()).to_dict() == fx.to_dict()


def test_flat_discounts_tax_treatments_and_minimum_charges_load_and_round_trip() -> None:
    fx = load_fixtures(
        {
            "products": [
                {"id": "a", "price": 1000, "tax": "Inclusive"},
                {"id": "b", "price": 500, "currency": "JPY", "tax": "exclusive"},
            ],
            "discount_codes": [{"code": "FIVE", "amount": 500}, {"code": "TEN", "percentage": 10}, "PLAIN"],
            "minimum_charge": {"usd": 50, "JPY": 100},
        }
    )
    assert [p.tax for p in fx.products] == ["inclusive", "exclusive"]
    five, ten, plain = fx.discounts
    assert (five.flat, five.apply(2000), five.apply(300)) == (True, 1500, 0)
    assert (ten.flat, ten.apply(2000)) == (False, 1800)
    assert not plain.id_given and five.id_given is False
    assert (fx.minimum_charge("USD", 1), fx.minimum_charge("JPY", 1), fx.minimum_charge("INR", 7)) == (50, 100, 7)
    again = load_fixtures(fx.to_dict())
    assert (again.products, again.discounts, again.minimum_charges) == (fx.products, fx.discounts, fx.minimum_charges)
    one = load_fixtures({**MINIMAL, "minimum_charge": 75})
    assert one.minimum_charge("EUR", 100) == 75 and one.to_dict()["minimum_charge"] == 75


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"products": [{"id": "a", "price": 1, "tax": "sometimes"}]}, "products[0].tax: must be one of"),
        ({**MINIMAL, "discount_codes": [{"code": "X", "amount": 5, "percentage": 5}]}, "not both"),
        ({**MINIMAL, "discount_codes": [{"code": "X", "amount": -5}]}, "discount_codes[0].amount"),
        ({**MINIMAL, "discount_codes": [{"code": "X", "amount": 2.5}]}, "discount_codes[0].amount"),
        ({**MINIMAL, "minimum_charge": -1}, "minimum_charge: must be an integer"),
        ({**MINIMAL, "minimum_charge": {"XXX": 5}}, "'XXX' is not an ISO 4217 code"),
        ({**MINIMAL, "minimum_charge": {"USD": "5"}}, "minimum_charge.USD"),
    ],
)
def test_malformed_new_fields_are_errors_naming_the_entry(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_fixtures(data)


def test_the_minimum_charge_of_the_catalog_excuses_a_refusal_below_it() -> None:
    from dodo_contract.checks.core import CheckContext, Observation, fixture_request_succeeds

    fx = load_fixtures({**MINIMAL, "minimum_charge": {"USD": 5000}})
    refused = Observation(
        kind="canonical",
        request={"product_cart": [{"product_id": "prod_1", "quantity": 1}]},
        status=422,
        body={"code": "TOTAL_PAYMENT_AMOUNT_BELOW_MINIMUM_AMOUNT", "message": "too small"},
    )
    assert fixture_request_succeeds(refused, CheckContext(fx)) == []  # 1000 < the catalog's 5000
    assert fixture_request_succeeds(refused, CheckContext(load_fixtures(MINIMAL))) != []  # 1000 >= the setting's 100

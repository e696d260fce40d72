"""The overlays: well-formed data with sources, applied exactly, and cross-field encodings that mean their rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dodo_contract.contract import overlay as overlay_module
from dodo_contract.contract.crossfield import CROSS_FIELD_RULES
from dodo_contract.contract.overlay import apply_overlay, load_overlay
from dodo_contract.contract.versions import BUNDLED
from dodo_contract.errors import ConfigError


@pytest.mark.parametrize("version", BUNDLED)
def test_each_rule_has_an_id_a_location_a_change_and_a_source(version: str) -> None:
    overlay = load_overlay(version)
    assert overlay.version == version and overlay.source.sha256
    for rule in overlay.rules:
        assert rule.id and rule.source and rule.binds and rule.adds, rule
        assert rule.to_dict()["source"] == rule.source
    ids = {r.id for r in overlay.rules}
    assert {"cart-size", "metadata-limits", "integer-format-bounds", "return-url", "customer-first-form"} <= ids
    assert ("metadata-value-any-of" in ids) is (version == "1.113.0")


def test_the_1_113_0_overlay_says_how_the_metadata_limit_binds_non_strings() -> None:
    rule = next(r for r in load_overlay("1.113.0").rules if r.id == "metadata-limits")
    assert rule.inferred and "only string values are length-limited" in rule.note
    trap = next(r for r in load_overlay("1.113.0").rules if r.id == "metadata-value-any-of")
    assert trap.rename == {"oneOf": "anyOf"} and "integer" in trap.note


def _write(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "9.9.9.toml").write_text(text)
    monkeypatch.setattr(overlay_module, "overlay_dir", lambda: tmp_path)
    load_overlay.cache_clear()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('version = "9.9.9"\n[[rule]]\nid = "x"\nsource = "s"\n', "needs exactly one of"),
        ('version = "9.9.9"\n[[rule]]\nid = "x"\nsource = "s"\ncross_field = "nope"\n', "no cross-field rule"),
        ('version = "9.9.9"\n[[rule]]\nid = "x"\nsource = "s"\nadd = {maxItems = 1}\n', "needs schema and at"),
        ('version = "9.9.9"\n[[rule]]\nid = "x"\nsource = "s"\nderive = "x"\nwat = 1\n', "unknown keys"),
        ('version = "9.9.9"\n[codes]\nstatus = {X = 700}\n', "codes.status"),
        ('version = "1.0"\n', "says version"),
        ("version = ", "overlay 9.9.9.toml"),
    ],
)
def test_a_malformed_overlay_is_a_config_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    _write(tmp_path, text, monkeypatch)
    try:
        with pytest.raises(ConfigError, match=message):
            load_overlay("9.9.9")
    finally:
        load_overlay.cache_clear()


def test_rules_without_a_place_in_the_document_are_skipped() -> None:
    files = {"Req": {"type": "object", "properties": {"a": {"type": "integer", "format": "int32"}}}}
    applied, skipped = apply_overlay(files, load_overlay("1.113.0"), request="Req", response=None)
    assert (
        "cart-size" in skipped
        and "discount-code-xor-codes" in skipped
        and "payment-method-needs-customer-id" in skipped
    )
    assert applied["Req"]["properties"]["a"]["maximum"] == 2**31 - 1  # the derived bounds still apply
    assert files["Req"]["properties"]["a"] == {"type": "integer", "format": "int32"}  # input untouched


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3),
    lambda kids: st.lists(kids, max_size=2) | st.dictionaries(st.text(max_size=3), kids, max_size=2),
    max_leaves=6,
)
CUSTOMER = st.one_of(
    JSON,
    st.fixed_dictionaries({}, optional={"customer_id": JSON, "email": JSON, "phone_number": JSON, "name": JSON}),
)
PAYLOAD = st.fixed_dictionaries(
    {},
    optional={
        "customer": CUSTOMER,
        "payment_method_id": JSON,
        "discount_code": JSON,
        "discount_codes": JSON,
        "require_phone_number": JSON,
        "payment_link": JSON,
    },
)


@pytest.mark.parametrize("name", [n for n, r in CROSS_FIELD_RULES.items() if r.encoding is not None])
@given(payload=PAYLOAD)
def test_each_schema_encoding_means_exactly_its_rule(name: str, payload: dict[str, Any]) -> None:
    rule = CROSS_FIELD_RULES[name]
    assert jsonschema.Draft202012Validator({"allOf": [rule.encoding]}).is_valid(payload) is not rule.broken(payload)

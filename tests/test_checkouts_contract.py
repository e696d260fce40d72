"""The Checkout Sessions contract: operations as data, the files per version, the overlays, the readings.

The committed ``schemas/<version>/checkouts/`` files are a fresh generation from Dodo's whole documents (the test of
``test_schemas.py`` walks every file under ``schemas/``); here: each file is the spec's type plus exactly what the
overlay adds, the additions are the documented ones, a contract under other readings is the overlay re-applied,
the cross-field encodings mean their predicates, and the operations know what the document says of them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dodo_contract.contract.crossfield import CROSS_FIELD_RULES
from dodo_contract.contract.endpoints import ENDPOINTS, FAMILIES, OPERATIONS, resolve_operation
from dodo_contract.contract.overlay import apply_overlay, load_overlay, strip_overlay
from dodo_contract.contract.settings import ContractSettings
from dodo_contract.contract.spec import read_document
from dodo_contract.contract.versions import BUNDLED, get_contract, load_contract
from dodo_contract.errors import ConfigError
from dodo_contract.validation.validator import validate_request
from tests import _shared

ROOT = Path(__file__).resolve().parents[1]
OPENAPI = _shared.SHARED / "dodo" / "openapi"
CHECKOUTS = ("checkouts", "checkouts.preview", "checkouts.get")
HTTPS = r"^[Hh][Tt][Tt][Pp][Ss]://[^\s/?#\x00-\x1f\x7f]+([/?#][^\s\x00-\x1f\x7f]*)?$"
HTTP = HTTPS.replace("[Ss]://", "[Ss]?://")
RADIUS = r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(px|rem|em)$"
INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}
LINE = {"product_cart": [{"product_id": "prod_basic", "quantity": 1}]}


@cache
def _document(version: str) -> dict[str, Any]:
    path = OPENAPI / load_overlay(version).source.file
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return read_document(path)[0]


def _folder(version: str) -> Path:
    return ROOT / "schemas" / version / "checkouts"


# --- operations -------------------------------------------------------------------------------------------
def test_the_operations_are_data_with_payments_the_default() -> None:
    assert OPERATIONS == ("payments", "checkouts", "checkouts.preview", "checkouts.get")
    assert FAMILIES == {"payments": ("payments",), "checkouts": CHECKOUTS}
    assert resolve_operation(None).name == "payments"
    assert [ENDPOINTS[o].label for o in CHECKOUTS] == ["POST /checkouts", "POST /checkouts/preview",
                                                        "GET /checkouts/{id}"]  # fmt: skip
    assert get_contract() is get_contract(operation="payments") is get_contract("latest", operation=None)
    with pytest.raises(ConfigError, match=r"unknown operation 'checkout'; known: payments, checkouts"):
        get_contract(operation="checkout")


@pytest.mark.parametrize("version", BUNDLED)
@pytest.mark.parametrize("operation", CHECKOUTS)
def test_each_operation_names_the_schemas_and_statuses_of_the_document(version: str, operation: str) -> None:
    contract = get_contract(version, operation=operation)
    endpoint = ENDPOINTS[operation]
    spec = _document(version)["paths"][endpoint.path][endpoint.method.lower()]
    response = spec["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert contract.names["response"] == response and contract.names["error"] == "ErrorResponse"
    assert contract.statuses == tuple(spec["responses"])
    if endpoint.has_request:
        request = spec["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert contract.names["request"] == request == "CreateCheckoutSessionRequest"
        assert contract.kinds == ("request", "response", "error")
    else:
        assert "request" not in contract.names and contract.kinds == ("response", "error")
        assert "404" in contract.statuses
    assert contract.key == f"{version}/{operation}" and contract.endpoint is endpoint
    assert contract == get_contract(version, operation=operation) and contract != get_contract(version)


def test_the_get_operation_has_no_request_and_says_so() -> None:
    contract = get_contract(operation="checkouts.get")
    with pytest.raises(ConfigError, match=r"checkouts.get \(GET /checkouts/\{id\}\) has no request body"):
        contract.schema("request")
    with pytest.raises(ConfigError, match="has no request body"):
        validate_request(LINE, operation="checkouts.get")


def test_a_contract_passes_to_its_siblings_keeping_its_readings() -> None:
    chosen = get_contract("1.86.0", operation="checkouts", readings={"checkouts-min-quantity": 0})
    sibling = get_contract(chosen, operation="checkouts.get")
    assert sibling.operation == "checkouts.get" and sibling.version == "1.86.0"
    assert sibling.readings["checkouts-min-quantity"] == 0
    assert get_contract(chosen) is chosen
    assert get_contract(chosen, readings={"checkouts-min-quantity": 1}) is get_contract("1.86.0", operation="checkouts")
    assert get_contract(chosen, operation="payments") is get_contract("1.86.0")


# --- files ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", BUNDLED)
def test_one_folder_holds_every_type_the_three_operations_reach(version: str) -> None:
    document = _document(version)
    reached: set[str] = set()
    todo: list[Any] = [document["paths"][ENDPOINTS[o].path][ENDPOINTS[o].method.lower()] for o in CHECKOUTS]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.rsplit("/", 1)[1] not in reached:
                reached.add(ref.rsplit("/", 1)[1])
                todo.append(document["components"]["schemas"][ref.rsplit("/", 1)[1]])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    on_disk = {p.stem for p in _folder(version).glob("*.json")}
    assert on_disk == reached | {"ErrorResponse", "operations"}
    assert "CreateOneTimePaymentRequest" not in on_disk  # a family's folder holds its own copies only
    manifest = json.loads((_folder(version) / "operations.json").read_text())
    assert (
        set(manifest) == set(CHECKOUTS) and manifest["checkouts.get"]["operation_id"] == "get_checkout_sessions_status"
    )


def _back_to_spec(node: Any) -> Any:
    """Undo the overlay (independently of strip_overlay): drop added keywords, restore replaced and renamed ones."""
    if isinstance(node, list):
        return [_back_to_spec(v) for v in node]
    if not isinstance(node, dict):
        return node
    added, replaced = set(node.get("x-dodo-added", ())), node.get("x-dodo-replaced", {})
    renamed = node.get("x-dodo-renamed", {})
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("x-dodo-added", "x-dodo-replaced", "x-dodo-renamed", "x-dodo-note", "$id", "$schema"):
            continue
        if key in replaced:
            out[key] = replaced[key]
        elif key not in added:
            out[renamed.get(key, key)] = _back_to_spec(value)
    if "$ref" in out:
        out["$ref"] = "#/components/schemas/" + out["$ref"][: -len(".json")]
    return out


@pytest.mark.parametrize("version", BUNDLED)
def test_each_file_is_the_spec_type_plus_only_the_overlay_additions(version: str) -> None:
    components = _document(version)["components"]["schemas"]
    for path in sorted(_folder(version).glob("*.json")):
        if path.stem in ("operations", "ErrorResponse"):
            continue
        schema = json.loads(path.read_text())
        assert schema["$id"] == f"https://schemas.dodo-contract.dev/v{version}/checkouts/{path.name}"
        jsonschema.Draft202012Validator.check_schema(schema)
        assert _back_to_spec(schema) == components[path.stem], path.name


def _additions(version: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            marks = {k: node[k] for k in node.get("x-dodo-added", ()) if k not in ("allOf", "x-dodo-cross-field")}
            if marks:
                found[where] = marks
            if "x-dodo-cross-field" in node:
                found[where + "#cross"] = node["x-dodo-cross-field"]
            if "x-dodo-renamed" in node:
                found[where + "#renamed"] = node["x-dodo-renamed"]
            for k, v in node.items():
                if k not in ("allOf", "x-dodo-replaced"):
                    walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}/{i}")

    for path in sorted(_folder(version).glob("*.json")):
        walk(json.loads(path.read_text()), path.stem)
    return found


def test_the_additions_of_1_113_0_are_exactly_the_documented_ones() -> None:
    found = _additions("1.113.0")
    request = "CreateCheckoutSessionRequest"
    assert found.pop(f"{request}#cross") == [
        "empty_cart_needs_collection", "confirm_requires_full_address", "confirm_requires_zipcode",
        "payment_method_requires_confirm", "payment_method_requires_existing_customer",
        "tax_id_requires_billing_country", "discount_codes_exclusive", "custom_field_keys_unique",
    ]  # fmt: skip
    assert found.pop("CustomField#cross") == ["custom_field_dropdown_needs_options"]
    assert found.pop("CheckoutSessionFlags#cross") == ["phone_required_needs_collection"]
    int32 = {k: v for k, v in found.items() if v == INT32}
    assert set(int32) == {
        f"{request}/properties/mandate_min_amount_inr_paise", "ProductItemReq/properties/amount",
        "OnDemandSubscriptionReq/properties/product_price", "CalculateSessionResponse/properties/trial_amount",
        "CalculateSessionResponse/properties/trial_period_days", "CalculatedProductCartItem/properties/tax",
        "CalculatedProductCartItem/properties/tax_rate", "CalculatedProductCartItem/properties/discount_amount",
        "CalculatedProductCartItem/properties/discount_cycle", "CalculatedAddonItem/properties/tax",
        "CalculatedAddonItem/properties/tax_rate", "CalculatedAddonItem/properties/discount_amount",
    }  # fmt: skip
    maxima = {k for k, v in found.items() if v == {"maximum": 2**31 - 1}}
    assert "AttachAddonReq/properties/quantity" in maxima and "CurrentBreakup/properties/total_amount" in maxima
    assert found["MeterDetails/properties/free_threshold"] == {"minimum": -(2**63), "maximum": 2**63 - 1}
    rest = {k: v for k, v in found.items() if k not in int32 and k not in maxima and not k.startswith("MeterDetails")}
    assert rest == {
        f"{request}/properties/product_cart": {"maxItems": 20},
        f"{request}/properties/discount_codes": {"maxItems": 20},
        f"{request}/properties/metadata/oneOf/1": {
            "maxProperties": 50, "propertyNames": {"maxLength": 40}, "additionalProperties": {"maxLength": 500}},
        f"{request}/properties/return_url": {"pattern": HTTP},
        f"{request}/properties/cancel_url": {"pattern": HTTP},
        "ProductItemReq/properties/quantity": {"minimum": 1, "maximum": 2**31 - 1},
        "CustomFields": {"maxItems": 5},
        "SubscriptionData/properties/trial_period_days": {"minimum": 0, "maximum": 10000},
        "ThemeConfig/properties/font_primary_url": {"pattern": HTTPS},
        "ThemeConfig/properties/font_secondary_url": {"pattern": HTTPS},
        "ThemeConfig/properties/pay_button_text": {"maxLength": 100},
        "ThemeConfig/properties/radius": {"pattern": RADIUS},
        "CustomerRequest#renamed": {"anyOf": "oneOf"},
        "Metadata/additionalProperties#renamed": {"anyOf": "oneOf"},
    }  # fmt: skip
    quantity = json.loads((_folder("1.113.0") / "ProductItemReq.json").read_text())["properties"]["quantity"]
    assert quantity["x-dodo-replaced"] == {"minimum": 0}  # the schema's own bound, kept to strip back to


def test_1_86_0_lacks_the_rules_of_fields_it_lacks() -> None:
    found = _additions("1.86.0")
    assert found.pop("CreateCheckoutSessionRequest#cross") == [
        "empty_cart_needs_collection", "confirm_requires_full_address_without_single_page",
        "confirm_requires_zipcode_without_single_page", "payment_method_requires_confirm",
        "payment_method_requires_existing_customer", "tax_id_requires_billing_country", "custom_field_keys_unique",
    ]  # fmt: skip
    assert "CheckoutSessionFlags#cross" not in found and "Metadata/additionalProperties#renamed" not in found
    assert "CreateCheckoutSessionRequest/properties/discount_codes" not in found
    assert found["ThemeConfig/properties/radius"] == {"pattern": RADIUS}


@pytest.mark.parametrize("version", BUNDLED)
def test_the_overlay_re_applied_to_the_stripped_files_gives_the_committed_ones(version: str) -> None:
    files = {p.stem: json.loads(p.read_text()) for p in _folder(version).glob("*.json") if p.stem != "operations"}
    spec = {n: {k: v for k, v in strip_overlay(f).items() if k not in ("$id", "$schema")} for n, f in files.items()}
    again, skipped = apply_overlay(
        spec, load_overlay(version, "checkouts"), request="CreateCheckoutSessionRequest", response=None
    )
    assert skipped == ()
    assert again == {n: {k: v for k, v in f.items() if k not in ("$id", "$schema")} for n, f in files.items()}


# --- overlays ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", BUNDLED)
def test_each_checkouts_rule_has_an_id_a_location_a_change_and_a_tagged_source(version: str) -> None:
    overlay = load_overlay(version, "checkouts")
    assert overlay.family == "checkouts" and overlay.source == load_overlay(version).source
    for rule in overlay.rules:
        assert rule.id and rule.binds and rule.adds, rule
        tags = ("S113", "GUIDE", "SDK123", "ERR", "docs", "shared/", "Metadata description")
        assert any(tag in rule.source for tag in tags), rule.id
    inferred = {r.id for r in overlay.rules if r.inferred}
    assert {"quantity-at-least-one", "cart-at-most-20", "empty-cart-needs-collection", "theme-radius",
            "return-url", "custom-field-keys-unique", "customer-first-form"} <= inferred  # fmt: skip
    assert {"confirm-full-address", "payment-method-needs-confirm", "tax-id-needs-country"}.isdisjoint(inferred)


@pytest.mark.parametrize("version", BUNDLED)
def test_the_checkouts_codes_extend_the_payments_codes_of_the_version(version: str) -> None:
    payments, checkouts = get_contract(version).codes, get_contract(version, operation="checkouts").codes
    assert payments.business < checkouts.business and payments.other <= checkouts.other
    added = {"CHECKOUT_SESSION_CONSUMED", "DUPLICATE_ADDON_IDS_IN_REQUEST", "CUSTOMER_HAS_EXISTING_SUBSCRIPTION",
             "UNSUPPORTED_BILLING_CURRENCY", "ADDONS_NOT_ALLOWED_FOR_ON_DEMAND", "INVALID_QUANTITY",
             "ONE_TIME_PRODUCTS_NOT_ALLOWED_FOR_ON_DEMAND"}  # fmt: skip
    assert added <= checkouts.business - payments.business
    assert added <= set(checkouts.inferred)  # the error page maps no code to an endpoint
    assert "NOT_FOUND" in checkouts.business and "404" in checkouts.notes["NOT_FOUND"]
    assert checkouts.status_of("TOO_MANY_REQUESTS") == 429
    assert get_contract(version, operation="checkouts.get").codes is checkouts


def test_a_family_overlay_that_inherits_from_itself_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dodo_contract.contract import overlay as overlay_module

    (tmp_path / "9.9.9.toml").write_text('version = "9.9.9"\n[codes]\ninherit = "payments"\n')
    (tmp_path / "9.9.9.checkouts.toml").write_text('version = "9.9.9"\nfamily = "other"\n')
    monkeypatch.setattr(overlay_module, "overlay_dir", lambda: tmp_path)
    load_overlay.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"codes\.inherit"):
            load_overlay("9.9.9")
        with pytest.raises(ConfigError, match="says family 'other'"):
            load_overlay("9.9.9", "checkouts")
    finally:
        load_overlay.cache_clear()


# --- readings ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", BUNDLED)
def test_the_readings_are_declared_with_their_sources_and_default_to_the_docs(version: str) -> None:
    overlay = load_overlay(version, "checkouts")
    assert set(overlay.readings) == set(ContractSettings().readings)
    quantity, cart = overlay.readings["checkouts-min-quantity"], overlay.readings["checkouts-cart"]
    assert (quantity.default, set(quantity.choices)) == (1, {0, 1}) and "GUIDE" in quantity.source
    assert (cart.default, set(cart.choices)) == ("sdk123", {"sdk123", "schema"}) and "SDK123" in cart.source
    assert quantity.inferred and cart.inferred
    assert get_contract(version, operation="checkouts").readings == {
        "checkouts-min-quantity": 1,
        "checkouts-cart": "sdk123",
    }


def _quantity_zero_and_cart(size: int, collection: bool = False) -> dict[str, Any]:
    lines = [{"product_id": "prod_basic", "quantity": 0}] + [{"product_id": "prod_basic", "quantity": 1}] * (size - 1)
    out: dict[str, Any] = {"product_cart": lines[:size]}
    if collection:
        out["product_collection_id"] = "pcol_starter"
    return out


@pytest.mark.parametrize("version", BUNDLED)
def test_the_quantity_reading_both_ways(version: str) -> None:
    guide = ContractSettings().contract(version, operation="checkouts")
    schema = ContractSettings(checkouts_min_quantity=0).contract(version, operation="checkouts")
    zero = _quantity_zero_and_cart(1)
    assert [(v.pointer, v.rule) for v in validate_request(zero, spec_version=guide).violations] == [
        ("/product_cart/0/quantity", "product_cart.items.quantity.minimum")
    ]
    assert validate_request(zero, spec_version=schema).ok
    negative = {"product_cart": [{"product_id": "p", "quantity": -1}]}
    assert [v.rule for v in validate_request(negative, spec_version=schema).violations] == [
        "product_cart.items.quantity.minimum"
    ]
    assert schema.key.endswith("[checkouts-min-quantity=0]") and "minimum" in schema.schema("request")["properties"][
        "product_cart"]["items"]["properties"]["quantity"]  # fmt: skip
    assert schema.known_rules("request") == guide.known_rules("request")


@pytest.mark.parametrize("version", BUNDLED)
def test_the_cart_reading_both_ways(version: str) -> None:
    sdk = ContractSettings().contract(version, operation="checkouts")
    schema = ContractSettings(checkouts_cart="schema").contract(version, operation="checkouts")
    line = {"product_id": "prod_basic", "quantity": 1}
    for payload, sdk_rule in (
        ({"product_cart": [line] * 21}, "product_cart.maxItems"),
        ({"product_cart": []}, "product_cart.empty_requires_product_collection_id"),
        ({"product_cart": [], "product_collection_id": None}, "product_cart.empty_requires_product_collection_id"),
    ):
        assert [v.rule for v in validate_request(payload, spec_version=sdk).violations] == [sdk_rule]
        assert validate_request(payload, spec_version=schema).ok
    for fine in ({"product_cart": [line] * 20}, {"product_cart": [], "product_collection_id": "pcol_starter"}):
        assert validate_request(fine, spec_version=sdk).ok and validate_request(fine, spec_version=schema).ok
    assert {"product_cart.maxItems", "product_cart.empty_requires_product_collection_id"} == set(
        sdk.known_rules("request")
    ) - set(schema.known_rules("request"))
    assert {r.id for r in sdk.prose_rules} - {r.id for r in schema.prose_rules} == {
        "cart-at-most-20", "empty-cart-needs-collection"}  # fmt: skip


def test_a_reading_choice_that_is_not_offered_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"reading checkouts-min-quantity: 2 is not one of 1, 0"):
        get_contract(operation="checkouts", readings={"checkouts-min-quantity": 2})
    with pytest.raises(ConfigError, match=r"settings.checkouts_cart: must be one of 'sdk123', 'schema'"):
        ContractSettings(checkouts_cart="none")
    with pytest.raises(ConfigError, match="checkouts_min_quantity"):
        ContractSettings(checkouts_min_quantity=True)  # a bool is not the integer 1
    assert get_contract(readings={"checkouts-min-quantity": 0}) is get_contract()  # payments has no such reading


def test_settings_give_every_part_the_same_contract() -> None:
    settings = ContractSettings(checkouts_min_quantity=0, checkouts_cart="schema")
    contract = settings.contract("1.113.0", operation="checkouts.preview")
    assert contract.readings == {"checkouts-min-quantity": 0, "checkouts-cart": "schema"}
    assert settings.for_contract(contract).business_codes == contract.codes.business
    assert settings.contract() is get_contract()


# --- cross-field encodings ------------------------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1, 1) | st.sampled_from(["", "x", "dropdown", "US"]),
    lambda kids: st.lists(kids, max_size=2) | st.dictionaries(st.sampled_from(["a", "key"]), kids, max_size=2),
    max_leaves=4,
)
FLAG = st.one_of(JSON, st.booleans())
ADDRESS = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {},
        optional={
            k: st.one_of(st.none(), st.just("x"), JSON) for k in ("country", "street", "city", "state", "zipcode")
        },
    ),
)
FIELD = st.fixed_dictionaries(
    {}, optional={"field_type": st.one_of(st.just("dropdown"), st.just("text"), JSON), "options": JSON, "key": JSON}
)
PAYLOAD = st.fixed_dictionaries(
    {},
    optional={
        "confirm": FLAG,
        "minimal_address": FLAG,
        "billing_address": ADDRESS,
        "feature_flags": st.one_of(JSON, st.fixed_dictionaries({}, optional={"single_page": FLAG})),
        "payment_method_id": JSON,
        "customer": st.one_of(JSON, st.fixed_dictionaries({}, optional={"customer_id": JSON, "email": JSON})),
        "tax_id": JSON,
        "product_cart": st.one_of(JSON, st.just([])),
        "product_collection_id": JSON,
        "discount_code": JSON,
        "discount_codes": JSON,
    },
)
OBJECTS = {
    "custom_field_dropdown_needs_options": FIELD,
    "phone_required_needs_collection": st.fixed_dictionaries(
        {}, optional={"require_phone_number": FLAG, "allow_phone_number_collection": FLAG}
    ),
}
CHECKOUT_RULES = [n for n, r in CROSS_FIELD_RULES.items() if r.encoding is not None and n in {
    *(n for n in CROSS_FIELD_RULES if n.startswith(("confirm_", "payment_method_requires_", "tax_id_", "empty_cart"))),
    *OBJECTS}]  # fmt: skip


@pytest.mark.parametrize("name", CHECKOUT_RULES)
@given(data=st.data())
def test_each_checkouts_encoding_means_exactly_its_rule(name: str, data: st.DataObject) -> None:
    rule = CROSS_FIELD_RULES[name]
    value = data.draw(OBJECTS.get(name, PAYLOAD))
    assert jsonschema.Draft202012Validator({"allOf": [rule.encoding]}).is_valid(value) is not rule.broken(value)


def test_the_unencoded_rule_is_the_one_json_schema_cannot_say() -> None:
    unencoded = {n for n, r in CROSS_FIELD_RULES.items() if r.encoding is None}
    assert unencoded == {"discount_id_is_first", "custom_field_keys_unique"}
    assert all(CROSS_FIELD_RULES[n].binds is None for n in unencoded)  # asked on the whole payload


# --- a user's document ------------------------------------------------------------------------------------
def test_a_users_newer_document_gives_the_checkouts_contract_too(tmp_path: Path) -> None:
    document = json.loads(json.dumps(_document("1.113.0")))
    document["info"]["version"] = "1.120.0"
    del document["components"]["schemas"]["CheckoutSessionFlags"]["properties"]["require_phone_number"]
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(document))
    contract = load_contract(path, operation="checkouts")
    assert contract.version == "1.120.0" and not contract.bundled and contract.operation == "checkouts"
    assert contract.skipped == ("require-phone-needs-collection",)
    bundled = get_contract("1.113.0", operation="checkouts")
    assert set(bundled.known_rules("request")) - set(contract.known_rules("request")) == {
        "feature_flags.require_phone_number.type", "feature_flags.require_phone_number_needs_collection"}  # fmt: skip
    assert validate_request({"product_cart": []}, spec_version=contract).violations[0].rule == (
        "product_cart.empty_requires_product_collection_id"
    )
    preview = get_contract(contract, operation="checkouts.preview")
    assert preview.names["response"] == "CalculateSessionResponse" and not preview.bundled
    lax = load_contract(path, operation="checkouts", readings={"checkouts-cart": "schema"})
    assert validate_request({"product_cart": []}, spec_version=lax).ok


def test_a_document_without_the_operation_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "payments-only.json"
    path.write_text(json.dumps({"paths": {"/payments": {}}, "components": {"schemas": {}}}))
    with pytest.raises(ConfigError, match=r"has no POST /checkouts operation") as info:
        load_contract(path, operation="checkouts")
    assert str(path) in str(info.value)


def test_each_checkouts_contract_has_an_openapi_document_of_its_files(tmp_path: Path) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    from dodo_contract.contract.schemas import openapi_path

    document = tmp_path / "copy.json"
    document.write_text(json.dumps(_document("1.113.0")))
    for contract, least in (
        (get_contract("1.86.0", operation="checkouts.get"), 1),
        (get_contract(operation="checkouts", readings={"checkouts-min-quantity": 0}), 0),
        (load_contract(document, operation="checkouts.preview"), 1),
    ):
        path = openapi_path(contract)
        spec, base = read_from_filename(str(path))
        validate(spec, base_uri=base)
        assert {(m, p) for p, item in spec["paths"].items() for m in item} == {
            ("post", "/checkouts"), ("post", "/checkouts/preview"), ("get", "/checkouts/{id}")}  # fmt: skip
        assert set(spec["paths"]["/checkouts/{id}"]["get"]["responses"]) == {"200", "401", "404", "422"}
        quantity = json.loads((path.parent / "ProductItemReq.json").read_text())["properties"]["quantity"]
        assert quantity["minimum"] == least  # the files beside the document are this contract's

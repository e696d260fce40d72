"""check_implementation(spec_version=, openapi=): the contract is resolved first, and every phase is of that version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dodo_contract import check_implementation, get_contract
from dodo_contract.errors import ConfigError
from dodo_contract.mock.app import create_app
from dodo_contract.validation.validator import validate_request
from tests import _shared

KEY = "sk_test_engine_versions_0123456789"
DOCUMENT = _shared.SHARED / "dodo" / "openapi" / "dodo_openapi_v1.113.0.json"
NEW_FIELDS = {"discount_codes", "require_phone_number", "adaptive_currency_fees_inclusive", "customer_business_name"}


class _Counting:
    """An ASGI app that counts the requests that reach it (and answers none)."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        raise AssertionError("nothing may be sent")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"spec_version": "9.9.9"}, r"unknown spec version '9\.9\.9'; bundled: 1\.86\.0, 1\.113\.0"),
        ({"openapi": "/nonexistent/openapi.json"}, r"/nonexistent/openapi\.json"),
        ({"openapi": DOCUMENT, "spec_version": "1.86.0"}, r"not both"),
        ({"openapi": 5}, r"openapi must be a path"),
    ],
)
def test_a_bad_version_or_document_is_a_config_error_before_any_request(options: dict[str, Any], message: str) -> None:
    target = _Counting()
    with pytest.raises(ConfigError, match=message):
        check_implementation(app=target, api_key=KEY, **options)
    assert target.calls == 0


def _sent(version: str | None, **options: Any) -> tuple[Any, list[Any]]:
    bodies: list[Any] = []

    def record(kind: str, body: bytes) -> None:
        try:
            bodies.append(json.loads(body))
        except ValueError:
            bodies.append(None)

    app = create_app(api_key=KEY, seed=1, spec_version=version)
    run = check_implementation(
        app=app, api_key=KEY, seed=3, max_examples=40, on_request=record, spec_version=version, **options
    )
    return run, bodies


def test_a_1_86_0_run_sends_nothing_of_1_113_0_and_covers_every_1_86_0_rule() -> None:
    run, bodies = _sent("1.86.0")
    assert run.verdict == "passed", [str(f) for f in run.violations]
    dicts = [b for b in bodies if isinstance(b, dict)]
    assert not [b for b in dicts if NEW_FIELDS & set(b)]
    valid = [b for b in dicts if validate_request(b, spec_version="1.86.0").ok]
    metadata = [v for b in valid if isinstance(b.get("metadata"), dict) for v in b["metadata"].values()]
    assert metadata and all(isinstance(v, str) for v in metadata)
    assert not [b for b in valid if "satispay" in (b.get("allowed_payment_method_types") or [])]
    assert not run.stats["rule_coverage"]["missing"]
    assert set(get_contract("1.86.0").known_rules("request")) <= set(run.stats["rule_coverage"]["covered"])
    assert run.spec_version == "1.86.0" and run.spec["version"] == "1.86.0"


def test_a_1_113_0_run_exercises_what_1_113_0_adds() -> None:
    run, bodies = _sent("1.113.0")
    assert run.verdict == "passed", [str(f) for f in run.violations]
    dicts = [b for b in bodies if isinstance(b, dict)]
    for field in NEW_FIELDS:
        assert any(field in b for b in dicts), field
    valid = [b for b in dicts if validate_request(b, spec_version="1.113.0").ok]
    assert any("satispay" in (b.get("allowed_payment_method_types") or []) for b in valid)
    assert any(isinstance(v, (int, float)) for b in valid for v in (b.get("metadata") or {}).values())
    assert any(len(b.get("discount_codes") or []) >= 2 for b in valid)
    assert not run.stats["rule_coverage"]["missing"]
    assert set(get_contract("1.113.0").known_rules("request")) <= set(run.stats["rule_coverage"]["covered"])


def test_the_same_seed_and_version_send_the_same_bytes_and_versions_differ() -> None:
    old, new = _sent("1.86.0")[0], _sent("1.113.0")[0]
    assert _sent("1.86.0")[0].stats["request_digest"] == old.stats["request_digest"]
    assert old.stats["request_digest"] != new.stats["request_digest"]
    assert old.stats["planned_requests"] < new.stats["planned_requests"]


def test_latest_and_none_judge_alike_but_only_none_is_the_default() -> None:
    by_default, _ = _sent(None)
    chosen, _ = _sent("latest")
    assert by_default.stats["request_digest"] == chosen.stats["request_digest"]
    assert by_default.spec_version == chosen.spec_version == "1.113.0"


def test_a_loaded_document_is_judged_by_and_recorded(tmp_path: Path) -> None:
    document = tmp_path / "dodo_newer.json"
    document.write_bytes(DOCUMENT.read_bytes())
    run = check_implementation(
        app=create_app(api_key=KEY, seed=1), api_key=KEY, seed=3, max_examples=10, openapi=document
    )
    assert run.verdict == "passed", [str(f) for f in run.violations]
    assert run.spec["bundled"] is False
    assert run.spec["source"]["file"] == "dodo_newer.json"
    assert run.spec_hint is None

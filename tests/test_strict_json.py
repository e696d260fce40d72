"""Strict JSON in answers: the engine's parse notes a BOM, trailing data and duplicate keys; a 200 with one fails."""

from __future__ import annotations

from typing import Any

import pytest

from dodo_contract.checks.core import CHECKS, NOT_JSON, CheckContext, Observation
from dodo_contract.contract.fixtures import default_fixtures
from dodo_contract.engine._plan import Case
from dodo_contract.engine._run import observe
from dodo_contract.engine._transport import Raw
from dodo_contract.validation.validator import parse_answer, parse_json

BODY = b'{"payment_id":"pay_1","total_amount":1000,"customer":{"email":"a@example.com"}}'


@pytest.mark.parametrize(
    ("raw", "defects"),
    [
        (BODY, ()),
        (BODY + b" \r\n\t", ()),  # JSON whitespace after the value is allowed
        (b"\xef\xbb\xbf" + BODY, (("bom", ""),)),
        (BODY + b"\n{}", (("trailing_data", ""),)),
        (BODY + b"x", (("trailing_data", ""),)),
        (b'{"a":1,"b":{"c":1,"c":2},"a":1}', (("duplicate_key", "/a"), ("duplicate_key", "/b/c"))),
        (b'[{"k/~":1,"k/~":1}]', (("duplicate_key", "/0/k~1~0"),)),
    ],
)
def test_parse_answer_names_each_defect_and_keeps_the_value(raw: bytes, defects: tuple[Any, ...]) -> None:
    value, found = parse_answer(raw)
    assert found == defects
    assert value == parse_json(raw.lstrip(b"\xef\xbb\xbf").split(b"\n{}")[0].rstrip(b"x"))


@pytest.mark.parametrize("raw", [b"", b"\xef\xbb\xbf", b"{", b"\xff", b"NaN", b'{"a": Infinity}'])
def test_parse_answer_refuses_what_is_no_json_value_at_all(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_answer(raw)


def test_the_users_validator_stays_lenient_about_a_bom() -> None:
    assert parse_json(b"\xef\xbb\xbf" + BODY)["total_amount"] == 1000


def _observe(content: bytes, status: int = 200) -> Observation:
    case = Case("valid", b"{}", {}, "a request")
    raw = Raw(status, {"content-type": "application/json"}, content, 3.0)
    return observe(case, raw, secrets=["sk_test_strict_0123456789"])


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"\xef\xbb\xbf" + BODY, "response.json.bom"),
        (BODY + b"\n{}", "response.json.trailing_data"),
        (b'{"total_amount":0,' + BODY[1:], "response.json.duplicate_key"),
    ],
)
def test_a_200_with_a_defect_breaks_its_rule_and_is_still_judged(content: bytes, rule: str) -> None:
    ctx = CheckContext(default_fixtures())
    obs = _observe(content)
    assert obs.body is not NOT_JSON and obs.body["total_amount"] == 1000  # the other checks still see the body
    assert [v.rule for v in CHECKS["response_json_strict"](obs, ctx)] == [rule]
    assert CHECKS["response_json_strict"](_observe(BODY), ctx) == []


def test_an_error_answer_is_not_held_to_it() -> None:
    ctx = CheckContext(default_fixtures())
    assert CHECKS["response_json_strict"](_observe(b"\xef\xbb\xbf{}", status=422), ctx) == []

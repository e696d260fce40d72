"""The reference mock's Checkout Sessions against the independent implementation (``tests/independent_checkouts``).

The two were written apart (that one reads the whole OpenAPI document with plain ``jsonschema`` and prices with
its own code), so where they agree on every derived invalid case, every canonical request and generated valid
ones, and on what each preview charges, neither is merely agreeing with itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from dodo_contract.contract.fixtures import default_fixtures
from dodo_contract.contract.versions import get_contract
from dodo_contract.generation import strategies
from dodo_contract.generation._checkout_canonical import canonical_checkout_requests
from dodo_contract.mock.app import create_app
from dodo_contract.validation.validator import validate_response
from tests.independent_checkouts import BREAKS
from tests.independent_checkouts import create_app as independent_app

KEY = "sk_test_checkouts_differential_0123"
VERSIONS = ["1.86.0", "1.113.0"]
FIXTURES = default_fixtures()


class Client:
    """A synchronous client of one ASGI app (one event loop per request; the app keeps its sessions)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://impl") as client:
                return await client.request(method, path, headers={"Authorization": f"Bearer {KEY}"}, **kw)

        return asyncio.run(go())

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)


def clients(version: str, tax_rate: float = 0.0) -> tuple[Client, Client]:
    mock = create_app(api_key=KEY, seed=2, spec_version=version, tax_rate=tax_rate)
    other = independent_app(FIXTURES.to_dict(), KEY, version=version, tax_rate=tax_rate)
    return Client(mock), Client(other)


@pytest.mark.parametrize("version", VERSIONS)
def test_both_refuse_every_derived_invalid_case(version: str) -> None:
    mock, other = clients(version)
    disagree = []
    for case in strategies.invalid_cases(FIXTURES, spec_version=version, seed=4, operation="checkouts"):
        a, b = mock.post("/checkouts", content=case.body), other.post("/checkouts", content=case.body)
        if (a.status_code, b.status_code) != (422, 422):
            disagree.append((case.rule, case.description, a.status_code, b.status_code))
    assert disagree == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("tax_rate", [0.0, 0.2])
def test_both_serve_every_canonical_request_and_charge_the_same(version: str, tax_rate: float) -> None:
    mock, other = clients(version, tax_rate)
    for name, request in canonical_checkout_requests(FIXTURES, get_contract(version, operation="checkouts")):
        for client in (mock, other):
            created = client.post("/checkouts", json=request)
            assert created.status_code == 200, (name, created.text)
            assert validate_response(created.json(), spec_version=version, operation="checkouts").ok, name
        a, b = mock.post("/checkouts/preview", json=request), other.post("/checkouts/preview", json=request)
        assert a.status_code == b.status_code == 200, (name, a.text, b.text)
        assert a.json()["current_breakup"] == b.json()["current_breakup"], name
        assert validate_response(b.json(), spec_version=version, operation="checkouts.preview").ok, name


@pytest.mark.parametrize("version", VERSIONS)
def test_both_accept_generated_valid_requests_and_price_them_alike(version: str) -> None:
    mock, other = clients(version)
    seen: list[Any] = []

    @settings(max_examples=40, suppress_health_check=list(HealthCheck), deadline=None, database=None)
    @given(strategies.valid_requests(FIXTURES, spec_version=version, operation="checkouts"))
    def agree(request: dict[str, Any]) -> None:
        a, b = mock.post("/checkouts/preview", json=request), other.post("/checkouts/preview", json=request)
        assert (a.status_code, b.status_code) == (200, 200), (request, a.text, b.text)
        assert a.json()["current_breakup"] == b.json()["current_breakup"], request
        seen.append(request)

    agree()
    assert seen


def test_every_break_is_a_known_name_and_an_unknown_one_is_refused() -> None:
    assert set(BREAKS["1.86.0"]) < set(BREAKS["1.113.0"])
    with pytest.raises(ValueError, match="unknown breaks"):
        independent_app(FIXTURES.to_dict(), KEY, version="1.86.0", breaks={"discount_codes_unbounded"})

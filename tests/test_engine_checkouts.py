"""The engine judging Checkout Sessions: the plan and phases, round trips, the operation option, and the promise
that only the three documented operations are ever sent (a recording server lists every request line it got).

The target is the independent implementation (``tests/independent_checkouts.py``) behind a recorder; one faithful
run over a real loopback server is shared by the module. Its breaks are proved in ``test_independent_checkouts``.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from dodo_contract.contract.fixtures import default_catalog_text
from dodo_contract.engine._plan_checkouts import unknown_session_id
from dodo_contract.engine._transport import Transport, UnsafeRequest
from dodo_contract.engine.engine import check_implementation
from dodo_contract.errors import ConfigError
from dodo_contract.mock.app import create_app as create_mock
from tests._asgi_server import served
from tests.independent_checkouts import create_app as create_independent

SEED = 5
KEY = "sk_test_engine_checkouts_0123456789"
CATALOG = json.loads(default_catalog_text())


class Recorder:
    """An ASGI wrapper that records every request line ("METHOD /path") its app receives."""

    def __init__(self, app: Any) -> None:
        self.app, self.lines = app, list[str]()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.lines.append(f"{scope['method']} {scope['path']}")
        await self.app(scope, receive, send)


def create_app(**kw: Any) -> Recorder:
    """The independent Checkout Sessions implementation (``breaks=``), recorded."""
    return Recorder(create_independent(CATALOG, KEY, **kw))


CHECKOUT_CHECKS = ("session_shape", "checkout_url_null_iff_payment_method", "session_round_trip", "preview_arithmetic")


@pytest.fixture(scope="module")
def faithful() -> tuple[Any, list[str]]:
    app = create_app()
    with served(app) as url:
        run = check_implementation(url, api_key=KEY, operation="checkouts", seed=SEED, max_examples=8,
                                   fixtures=CATALOG)  # fmt: skip
    return run, list(app.lines)


def test_a_faithful_server_passes_and_every_new_check_judged_something(faithful: tuple[Any, list[str]]) -> None:
    run, _lines = faithful
    assert [f"{f} ({f.label})" for f in run.violations] == []
    assert run.verdict == "passed", run.errors
    assert run.operation == "checkouts" and run.stats["operation"] == "checkouts"
    for name in CHECKOUT_CHECKS:
        assert run.stats["cases_per_check"][name] > 0, name
    assert "response_schema_conformance" not in run.checks  # a payments check: it never judges a session
    assert KEY not in json.dumps(run.to_dict())


def test_only_the_three_documented_operations_are_sent(faithful: tuple[Any, list[str]]) -> None:
    run, lines = faithful
    sessions = re.compile(r"GET /checkouts/(cks_[0-9A-Za-z]{21}|" + re.escape(unknown_session_id(SEED)) + ")")
    methods = {line for line in lines if not sessions.fullmatch(line)}
    assert methods <= {"POST /checkouts", "POST /checkouts/preview"}, methods
    got = [line for line in lines if line.startswith("GET ")]
    assert f"GET /checkouts/{unknown_session_id(SEED)}" in got
    assert len(got) > 3  # the unknown id (three times: no key, wrong key, the key) and the created sessions
    assert run.stats["requests_per_phase"]["roundtrip"] == len(got) - 2


def test_the_transport_refuses_what_the_contract_does_not_document() -> None:
    app = create_app()

    async def main() -> None:
        ops = ("checkouts", "checkouts.preview", "checkouts.get")
        async with Transport(app=app, api_key=KEY, operations=ops) as transport:
            for operation, path_id in (("payments", ""), ("checkouts.get", "cks_never_returned"),
                                       ("checkouts.get", ".."), ("checkouts.get", ""), ("checkouts", "x")):  # fmt: skip
                with pytest.raises(UnsafeRequest):
                    await transport.send(b"{}", operation=operation, path_id=path_id)
            transport.allow_id("a/b")
            assert transport.url_for("checkouts.get", "a/b").endswith("/checkouts/a%2Fb")  # one path segment
        async with Transport(app=app, api_key=KEY) as payments:
            with pytest.raises(UnsafeRequest):
                await payments.send(b"{}", operation="checkouts")

    asyncio.run(main())
    assert app.lines == []  # nothing reached the server


def _both(checkouts: Any) -> Any:
    """An ASGI app serving POST /payments (the reference mock) and the Checkout Sessions app."""
    payments = create_mock(api_key=KEY, fixtures=CATALOG)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        target = payments if scope.get("path", "").startswith("/payments") else checkouts
        await target(scope, receive, send)

    return app


def test_all_judges_both_families_and_combines_the_verdict() -> None:
    clean = check_implementation(app=create_mock(api_key=KEY, fixtures=CATALOG), api_key=KEY, operation="all",
                                 seed=SEED, max_examples=2, checks=["auth_required", "session_shape"])  # fmt: skip
    assert clean.verdict == "passed", clean.errors
    assert [p.operation for p in clean.parts] == ["payments", "checkouts"]
    assert clean.parts[0].checks == ("auth_required",)
    assert set(clean.stats["operations"]) == {"payments", "checkouts"}
    broken = check_implementation(
        app=_both(create_app(breaks=["auth_optional_on_get"])), api_key=KEY, operation="all", seed=SEED,
        max_examples=0, checks=["auth_required"], fixtures=CATALOG,
    )  # fmt: skip
    assert broken.verdict == "failed"
    assert {f.operation for f in broken.violations} == {"checkouts"}
    assert broken.to_dict()["operations"] == ["payments", "checkouts"]


def test_bad_operation_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown operation"):
        check_implementation(app=create_app(), api_key=KEY, operation="refunds")
    with pytest.raises(ConfigError, match="do not judge the payments"):
        check_implementation(app=create_app(), api_key=KEY, checks=["session_shape"])

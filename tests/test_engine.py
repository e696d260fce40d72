"""The contract engine against the reference mock: verdicts, determinism, fail-closed cases, redaction."""

from __future__ import annotations

import asyncio
import json
import shlex
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest

from dodo_contract import ConfigError
from dodo_contract.checks.core import CHECKS
from dodo_contract.contract.fixtures import default_fixtures, load_fixtures
from dodo_contract.contract.schemas import payment_method_types
from dodo_contract.engine._plan import CURRENCY_SAMPLE, business_requests, shrink_candidates
from dodo_contract.engine._transport import curl_command, retry_after_seconds
from dodo_contract.engine.engine import check_implementation
from dodo_contract.generation.strategies import INVALID_REQUEST_RULES, canonical_requests
from dodo_contract.mock.app import create_app, serve_mock
from dodo_contract.mock.faults import FAULTS
from dodo_contract.validation.validator import validate_request

KEY = "sk_test_engine_0123456789abcdef"
BUSINESS_RULES = (  # every business case the bundled catalog makes checkable
    "business.unknown_product",
    "business.unknown_customer",
    "business.unknown_discount_code",
    "business.pwyw_amount_missing",
    "business.pwyw_amount_below_minimum",
    "business.foreign_payment_method",
    "business.unsupported_country",
    "business.unsupported_currency",
    "business.unknown_tax_id",
    "business.no_eligible_payment_method",
)
Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def run_app(fault: Any = None, **kw: Any) -> Any:
    kw.setdefault("max_examples", 20)
    kw.setdefault("seed", 3)
    return check_implementation(app=create_app(api_key=KEY, fault=fault, seed=1), api_key=KEY, **kw)


def test_faithful_mock_passes_with_full_rule_coverage() -> None:
    run = run_app()
    assert run.verdict == "passed", [str(f) for f in run.violations] + list(run.errors)
    assert run.violations == ()
    stats = run.stats
    assert stats["rule_coverage"]["missing"] == []
    assert set(stats["rule_coverage"]["covered"]) == set(INVALID_REQUEST_RULES) | set(BUSINESS_RULES)
    assert all(stats["cases_per_rule"][rule] >= 1 for rule in (*INVALID_REQUEST_RULES, *BUSINESS_RULES))
    # Every unsupported country of the catalog (2) and CURRENCY_SAMPLE unsupported currencies: one case each.
    business = len(BUSINESS_RULES) + len(default_fixtures().unsupported_countries) - 1 + CURRENCY_SAMPLE - 1
    assert stats["requests_per_phase"]["business"] == business
    assert stats["cases_per_check"]["business_rules_enforced"] == business
    assert stats["requests"] == sum(stats["status_counts"].values())
    assert stats["requests_per_phase"]["auth"] == 5  # no key, a wrong key, three near misses of the real one
    assert set(stats["latency_ms"]) == {"p50", "p99", "max"}
    assert stats["cases_per_check"]["auth_required"] == 5


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("invalid_as_400", "invalid_request_rejected"),
        ("metadata_not_echoed", "request_values_reflected"),
        ("auth_ignored", "auth_required"),
        ("valid_refused_on_quantity_zero", "valid_request_accepted"),
        ("truncated_json", "response_received"),
        ("accept_unknown_product", "business_rules_enforced"),
        ("business_errors_as_invalid_body", "business_rules_enforced"),
    ],
)
def test_faults_fail_with_the_matching_check(fault: str, check: str) -> None:
    run = run_app(fault)
    assert run.verdict == "failed"
    assert check in {f.check for f in run.violations}
    assert check in FAULTS[fault].caught_by
    finding = next(f for f in run.violations if f.check == check)
    assert finding.exchange is not None
    assert finding.curl.startswith("curl ")


def test_one_finding_per_check_and_rule() -> None:
    run = run_app("invalid_as_400")
    keys = [(f.check, f.rule) for f in run.violations]
    assert len(keys) == len(set(keys))
    rules = {f.rule for f in run.violations if f.check == "invalid_request_rejected"}
    assert len(rules) > 1  # one finding per broken rule, not one for the whole run


def test_same_seed_sends_the_same_bytes() -> None:
    def bodies(seed: int) -> list[tuple[str, bytes]]:
        sent: list[tuple[str, bytes]] = []
        run_app(seed=seed, max_examples=15, on_request=lambda kind, body: sent.append((kind, body)))
        return sent

    first, again, other = bodies(11), bodies(11), bodies(12)
    assert first == again
    assert [b for k, b in first if k == "valid"] != [b for k, b in other if k == "valid"]
    assert (
        run_app(seed=11, max_examples=15).stats["request_digest"]
        == run_app(seed=11, max_examples=15).stats["request_digest"]
    )


def test_unreachable_target_is_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = check_implementation(f"http://127.0.0.1:{port}", api_key=KEY, max_examples=5, seed=1, timeout=2.0)
    assert run.verdict == "error"
    assert not run.passed
    assert any("no answer" in e for e in run.errors)


def test_wrong_key_everywhere_is_an_error() -> None:
    run = check_implementation(app=create_app(api_key=KEY), api_key="sk_test_not_the_right_key", max_examples=5, seed=1)
    assert run.verdict == "error"
    assert any("401" in e for e in run.errors)


def test_loopback_server_and_stalls_stop_the_run() -> None:
    slow = FAULTS["slow"].with_delay(1.0)
    with serve_mock(api_key=KEY, fault=slow, seed=1) as server:
        # One at a time: this fault stalls every fifth *arrival*, and a concurrent run re-sends a stalled case
        # alone (a later arrival) before counting it; test_stalls_stop_a_concurrent_run covers that case.
        run = check_implementation(server.url, api_key=KEY, max_examples=20, seed=1, timeout=0.3, concurrency=1)
    assert run.verdict == "failed"
    assert "response_received" in {f.check for f in run.violations}
    assert run.stats["stopped"]
    assert run.stats["requests"] < 20  # stopped on evidence instead of waiting on every fifth request


def test_api_key_never_leaks() -> None:
    async def echo_key(
        scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        body = json.dumps({"code": "INTERNAL_SERVER_ERROR", "message": f"bad {auth}", auth: auth}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"content-type", b"application/json"), (b"x-echo", auth.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    # Without the auth probe the first (and, a 500 being one finding, only) exchange recorded carries the key.
    keyed = [name for name in CHECKS if name != "auth_required"]
    run = check_implementation(app=echo_key, api_key=KEY, max_examples=3, seed=1, checks=keyed)
    assert run.verdict in ("failed", "error")
    dumped = json.dumps(run.to_dict())
    assert KEY not in dumped
    assert "REDACTED" in dumped
    assert all("$DODO_API_KEY" in f.curl for f in run.violations if "Authorization: Bearer $" in f.curl)


def test_live_host_is_refused_and_arguments_are_checked() -> None:
    with pytest.raises(ConfigError, match="live"):
        check_implementation("https://live.dodopayments.com", api_key=KEY)
    with pytest.raises(ConfigError, match="exactly one"):
        check_implementation("http://127.0.0.1:1", app=create_app(api_key=KEY), api_key=KEY)
    with pytest.raises(ConfigError, match="unknown check"):
        run_app(checks=["no_such_check"])
    with pytest.raises(ConfigError, match="max_examples"):
        run_app(max_examples=-1)


def test_429_is_retried_after_retry_after_and_a_persistent_one_is_reported() -> None:
    inner = create_app(api_key=KEY, seed=1)
    calls = {"n": 0}

    def limited(every: int) -> ASGI:
        async def app(
            scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
        ) -> None:
            calls["n"] += 1
            if calls["n"] % every == 0:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [(b"content-type", b"application/json"), (b"retry-after", b"0")],
                    }
                )
                await send({"type": "http.response.body", "body": b'{"code":"TOO_MANY_REQUESTS","message":"slow"}'})
                return
            await inner(scope, receive, send)

        return app

    run = check_implementation(app=limited(3), api_key=KEY, max_examples=10, seed=1)
    assert run.verdict == "passed", [str(f) for f in run.violations]
    assert run.stats["retries_429"] > 0
    stuck = check_implementation(app=limited(1), api_key=KEY, max_examples=5, seed=1)
    assert stuck.verdict == "error"
    assert any("429" in e for e in stuck.errors)


@pytest.mark.parametrize(("concurrency", "at"), [(1, 10), (10, 30)])
def test_interrupt_returns_a_partial_error_run(concurrency: int, at: int) -> None:
    sent: list[bytes] = []

    def interrupt(kind: str, body: bytes) -> None:
        sent.append(body)
        if len(sent) == at:  # with N in flight, the at-th request goes out once at-N answers were judged
            raise KeyboardInterrupt

    inner = create_app(api_key=KEY, seed=1)

    async def away(scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]) -> None:
        await asyncio.sleep(0.012)  # not instant, so the window opens
        await inner(scope, receive, send)

    run = check_implementation(
        app=away, api_key=KEY, seed=3, max_examples=20, on_request=interrupt, concurrency=concurrency
    )
    assert run.interrupted
    assert run.verdict == "error"
    assert 0 < run.stats["requests"] < at
    assert run.stats["most_in_flight"] == concurrency


def test_progress_and_check_selection() -> None:
    seen: list[tuple[int, int | None, str]] = []
    run = run_app(
        checks=["no_server_error", "invalid_request_rejected"], progress=lambda d, t, c: seen.append((d, t, c))
    )
    assert run.passed
    assert run.checks == ("no_server_error", "invalid_request_rejected")
    assert "auth" not in {c for _, _, c in seen}  # no auth probe when auth_required is not selected
    assert "business" not in {c for _, _, c in seen}  # nor business cases without business_rules_enforced
    assert [d for d, _, _ in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][1] == len(seen)


def test_failures_are_shrunk_to_smaller_valid_requests() -> None:
    # A fault refusing valid requests that carry nulls (a 5xx would be one finding, on a minimal canonical case).
    run = run_app("reject_valid_with_400", max_examples=30)
    shrunk = [f for f in run.violations if f.label.endswith("(shrunk)")]
    assert shrunk
    for finding in shrunk:
        assert finding.exchange is not None
        assert validate_request(finding.exchange.request_body).ok


def test_shrink_candidates_keep_required_keys() -> None:
    payload = {
        "product_cart": [{"product_id": "a", "quantity": 1}] * 3,
        "customer": {"email": "e", "name": "n"},
        "billing": {"country": "US", "city": "X"},
        "metadata": {"a": "1", "b": "2"},
        "tax_id": None,
    }
    candidates = list(shrink_candidates(payload))
    assert all({"product_cart", "customer", "billing"} <= set(c) for c in candidates)
    assert {
        "product_cart": payload["product_cart"],
        "customer": payload["customer"],
        "billing": payload["billing"],
        "metadata": payload["metadata"],
    } in candidates


def test_transport_helpers() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None
    body = '{"a":"it\'s $HOME"}'
    curl = curl_command("http://127.0.0.1:1/payments", body.encode())
    assert '"Authorization: Bearer $DODO_API_KEY"' in curl
    assert shlex.split(curl)[-1] == body  # the body survives the shell untouched
    assert "base64 -d" in curl_command("http://x/payments", b"\xff\x00")


def test_allow_live_sends_only_a_few_canonical_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    import dodo_contract.engine.engine as engine

    monkeypatch.setattr(engine, "is_live_host", lambda url: True)  # pretend the loopback mock is the live host
    sent: list[str] = []
    with serve_mock(api_key=KEY, seed=1) as server:
        with pytest.raises(ConfigError, match="live"):
            check_implementation(server.url, api_key=KEY)
        run = check_implementation(server.url, api_key=KEY, allow_live=True, on_request=lambda k, b: sent.append(k))
    assert run.verdict == "passed"
    assert sent == ["canonical"] * len(sent)
    assert 0 < len(sent) <= engine.LIVE_REQUEST_BUDGET


def test_time_budget_exhausted_before_coverage_is_an_error() -> None:
    run = run_app(time_budget_s=1e-9)
    assert run.verdict == "error"
    assert run.stats["stopped"] == "time budget"


def test_default_rate_limit_depends_on_the_host() -> None:
    from dodo_contract.engine._transport import DEFAULT_REMOTE_RATE, Transport

    assert Transport("https://test.dodopayments.com", api_key=KEY).rate_limit == DEFAULT_REMOTE_RATE < 40
    assert Transport("http://127.0.0.1:8000", api_key=KEY).rate_limit is None
    assert Transport(app=create_app(api_key=KEY), api_key=KEY).rate_limit is None
    assert Transport("https://test.dodopayments.com", api_key=KEY, rate_limit=5).rate_limit == 5
    with pytest.raises(ConfigError, match="base_url"):
        Transport("ftp://example.com", api_key=KEY)


def _business(fixtures: Any, seed: int = 5) -> dict[str, tuple[str, str, dict[str, Any]]]:
    fx = load_fixtures(fixtures)
    base = canonical_requests(fx)[0][1]
    return {rule: (pointer, label, request) for rule, pointer, label, request in business_requests(base, fx, seed=seed)}


def test_business_requests_break_one_rule_each_and_stay_schema_valid() -> None:
    fx = default_fixtures()
    cases = _business(fx)
    assert tuple(cases) == BUSINESS_RULES
    known = {p.id for p in fx.products} | {c.id for c in fx.customers} | {d.code for d in fx.discounts}
    for rule, (pointer, label, request) in cases.items():
        assert validate_request(request).ok, rule
        assert label and pointer.startswith("/"), rule
    product = cases["business.unknown_product"][2]["product_cart"][0]["product_id"]
    customer = cases["business.unknown_customer"][2]["customer"]["customer_id"]
    code = cases["business.unknown_discount_code"][2]["discount_code"]
    for synthetic in (product, customer, code):
        assert synthetic not in known
        assert "dodo_contract_unknown" in synthetic.lower()
    assert cases["business.unsupported_country"][2]["billing"]["country"] in fx.unsupported_countries
    assert cases["business.unsupported_currency"][2]["billing_currency"] not in fx.billing_currencies
    methods = cases["business.no_eligible_payment_method"][2]["allowed_payment_method_types"]
    assert methods and not set(methods) & set(fx.enabled_payment_methods)
    method_case = cases["business.foreign_payment_method"][2]
    owner = fx.customer(method_case["customer"]["customer_id"])
    assert owner is not None and method_case["payment_method_id"] not in owner.payment_method_ids
    # An unknown tax id shaped like the declared ones (the same prefix and length), never one of them.
    tax_id = cases["business.unknown_tax_id"][2]["tax_id"]
    assert tax_id not in fx.tax_ids and (tax_id[:2], len(tax_id)) == (fx.tax_ids[0][:2], len(fx.tax_ids[0]))


def test_business_requests_are_deterministic_per_seed() -> None:
    fx = default_fixtures()
    assert _business(fx, seed=5) == _business(fx, seed=5)
    assert _business(fx, seed=5)["business.unknown_product"] != _business(fx, seed=6)["business.unknown_product"]


def test_business_requests_only_test_declared_account_settings() -> None:
    minimal = {"products": [{"id": "prod_a", "price": 100}]}
    assert list(_business(minimal)) == [
        "business.unknown_product",
        "business.unknown_customer",
        "business.unknown_discount_code",
    ]
    declared = default_fixtures().to_dict()
    no_currencies = {k: v for k, v in declared.items() if k != "billing_currencies"}
    assert "business.unsupported_currency" not in _business(no_currencies)
    assert "business.unsupported_country" in _business(no_currencies)
    no_countries = {**declared, "unsupported_countries": []}
    assert "business.unsupported_country" not in _business(no_countries)
    every_method = {**declared, "enabled_payment_methods": list(payment_method_types())}
    assert "business.no_eligible_payment_method" not in _business(every_method)
    without = {k: v for k, v in declared.items() if k != "enabled_payment_methods"}
    assert "business.no_eligible_payment_method" not in _business(without)


def test_business_requests_pay_what_you_want_and_payment_method_conditions() -> None:
    free_floor = {
        "products": [{"id": "prod_tip", "pay_what_you_want": True, "min_amount": 0}],
        "customers": [{"id": "cus_a", "email": "a@example.com", "payment_method_ids": ["pm_a"]}],
    }
    cases = _business(free_floor)
    assert "business.pwyw_amount_missing" in cases
    assert "business.pwyw_amount_below_minimum" not in cases  # nothing is below a minimum of 0
    assert "amount" not in cases["business.pwyw_amount_missing"][2]["product_cart"][0]
    method = cases["business.foreign_payment_method"][2]["payment_method_id"]
    assert method != "pm_a" and "dodo_contract_unknown" in method  # no other customer's method to borrow


def test_faithful_mock_passes_with_undeclared_account_settings() -> None:
    fixtures = {
        "products": [{"id": "prod_a", "price": 100}, {"id": "prod_tip", "pay_what_you_want": True, "min_amount": 50}],
        "customers": [{"id": "cus_a", "email": "a@example.com", "payment_method_ids": ["pm_a"]}],
    }
    app = create_app(api_key=KEY, fixtures=fixtures, seed=1)
    run = check_implementation(app=app, api_key=KEY, fixtures=fixtures, max_examples=10, seed=2)
    assert run.verdict == "passed", [str(f) for f in run.violations] + list(run.errors)
    assert run.stats["requests_per_phase"]["business"] == 6
    assert "business.unsupported_currency" not in run.stats["cases_per_rule"]

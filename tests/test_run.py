"""The run (``engine/_run.py``): concurrency that changes nothing but speed, stops that discard what came after,
planning outside the event loop and within the budget, phases only for the selected checks."""

from __future__ import annotations

import asyncio
import dataclasses
import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from _fault_server import PROXY, fault_server

from dodo_contract.contract.fixtures import default_fixtures
from dodo_contract.engine import _run
from dodo_contract.engine._plan import Plan, clear_plan_cache, plan_cases
from dodo_contract.engine.engine import MAX_EXAMPLES, check_implementation
from dodo_contract.errors import ConfigError
from dodo_contract.mock.app import create_app, serve_mock
from dodo_contract.mock.faults import FAULTS
from dodo_contract.reports.report import report_data

KEY = "sk_test_run_0123456789abcdef"
# Fields that measure time, or the option itself: everything else must be equal whatever the concurrency.
_TIMING = {"generated_at", "duration_s", "latency_ms", "elapsed_ms", "concurrency", "most_in_flight", "received_at"}


def _without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k not in _TIMING}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _report(run: Any) -> Any:
    return _without_timing(report_data(run, secrets=[KEY], generated_at="x"))


def remote(app: Any, seconds: float = 0.012) -> Any:
    """``app`` as if it were a few milliseconds away (an instant target gets one request at a time)."""

    async def delayed(scope: Any, receive: Any, send: Any) -> None:
        await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return delayed


@pytest.mark.parametrize("fault", [None, "invalid_as_400", "accept_unknown_product"])
def test_same_seed_same_report_in_process_at_any_concurrency(fault: str | None) -> None:
    reports, in_flight = [], []
    for concurrency in (1, 8):
        app = remote(create_app(api_key=KEY, seed=1, fault=fault))
        run = check_implementation(app=app, api_key=KEY, seed=5, max_examples=25, concurrency=concurrency)
        reports.append(_report(run))
        in_flight.append(run.stats["most_in_flight"])
    assert reports[0]["verdict"] == ("passed" if fault is None else "failed")
    assert reports[0] == reports[1]
    assert in_flight == [1, 8]


def test_same_seed_same_report_over_loopback_at_any_concurrency() -> None:
    reports, in_flight = [], []
    delayed = dataclasses.replace(FAULTS["slow"], delay=lambda n: 0.012)  # a faithful mock, 12 ms away
    with serve_mock(api_key=KEY, seed=1, fault=delayed) as server:
        for concurrency in (1, 8):
            run = check_implementation(server.url, api_key=KEY, seed=5, max_examples=25, concurrency=concurrency)
            reports.append(_report(run))
            in_flight.append(run.stats["most_in_flight"])
    assert reports[0]["verdict"] == "passed"
    assert reports[0] == reports[1]
    assert in_flight == [1, 8]


def test_a_stop_at_case_k_discards_what_was_sent_after_it() -> None:
    # Every 200 breaks the response schema: max_failures stops the run part-way, at the same case each time.
    outcomes = []
    for concurrency in (1, 8):
        app = remote(create_app(api_key=KEY, seed=1, fault="missing_client_secret"))
        run = check_implementation(
            app=app, api_key=KEY, seed=5, max_examples=25, max_failures=7, concurrency=concurrency
        )
        stats = run.stats
        outcomes.append(
            (
                run.verdict,
                stats["requests"],
                stats["request_digest"],
                stats["stopped"],
                [(f.check, f.rule, f.pointer, f.label) for f in run.violations],
            )
        )
    assert outcomes[0][0] == "failed" and outcomes[0][3].startswith("max_failures")
    assert outcomes[0] == outcomes[1]


def test_a_faithful_server_answering_in_400_ms_passes_within_the_default_budget() -> None:
    def slow(n: int, headers: dict[str, str], body: bytes) -> Any:
        time.sleep(0.4)  # each answer takes 0.4 s; the server answers requests in parallel
        return PROXY

    with serve_mock(api_key=KEY, seed=1) as mock, fault_server(slow, upstream=mock.url) as server:
        run = check_implementation(server.url, api_key=KEY, seed=1)  # every option at its default
    assert run.verdict == "passed", list(run.errors) + [str(f) for f in run.violations]
    assert run.stats["concurrency_reduced"] is None


@contextmanager
def _one_at_a_time_server(upstream: str, seconds: float) -> Iterator[str]:
    """A server that handles one request at a time, ``seconds`` each (requests queue up behind each other)."""
    client = httpx.Client(timeout=30, trust_env=False)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(seconds)
            fwd = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
            answer = client.post(upstream + self.path, content=body, headers=fwd)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)  # not threading: one request at a time
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        client.close()


def test_a_server_that_serialises_requests_is_not_called_slow_because_of_our_concurrency() -> None:
    # 0.25 s each, one at a time: with 10 in flight the last waits 2.5 s, over a 1 s latency budget. Such an answer
    # is sent again alone (0.25 s) before it counts, and the run goes on one at a time.
    with serve_mock(api_key=KEY, seed=1) as mock, _one_at_a_time_server(mock.url, 0.25) as url:
        run = check_implementation(
            url, api_key=KEY, seed=1, checks=["fixture_request_succeeds", "latency_budget"], latency_budget_ms=1000
        )
    assert run.verdict == "passed", list(run.errors) + [str(f) for f in run.violations]
    assert run.stats["concurrency_reduced"]
    assert run.stats["confirm_requests"] >= 1


def test_stalls_stop_a_concurrent_run() -> None:
    done = threading.Event()

    def stall_keyed_requests(n: int, headers: dict[str, str], body: bytes) -> Any:
        if headers.get("Authorization") == f"Bearer {KEY}":
            done.wait(1.0)  # every request with the key stalls past the 0.3 s timeout; the auth probe does not
        return PROXY

    with serve_mock(api_key=KEY, seed=1) as mock, fault_server(stall_keyed_requests, upstream=mock.url) as server:
        run = check_implementation(server.url, api_key=KEY, max_examples=20, seed=1, timeout=0.3)
        done.set()
    assert run.verdict == "failed"
    assert "response_received" in {f.check for f in run.violations}
    assert run.stats["stopped"]
    assert run.stats["requests"] < 20


def test_planning_happens_outside_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # Inside a running loop asyncio defers SIGINT to the next await: planning must not run there.
    loops: list[bool] = []
    real = _run.plan_cases

    def spy(*args: Any, **kwargs: Any) -> Plan:
        try:
            asyncio.get_running_loop()
            loops.append(True)
        except RuntimeError:
            loops.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(_run, "plan_cases", spy)
    check_implementation(app=create_app(api_key=KEY), api_key=KEY, seed=2, max_examples=3)
    assert loops == [False]


def test_ctrl_c_while_planning_interrupts_the_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    real = _run.plan_cases
    examples = {"n": 0}

    def interrupted_planning(*args: Any, stop: Any, **kwargs: Any) -> Plan:
        def counting_stop() -> bool:
            examples["n"] += 1
            if examples["n"] == 5:
                signal.raise_signal(signal.SIGINT)  # as a user's Ctrl-C would, mid-draw
            return bool(stop())

        return real(*args, stop=counting_stop, **kwargs)

    clear_plan_cache()
    monkeypatch.setattr(_run, "plan_cases", interrupted_planning)
    run = check_implementation(app=create_app(api_key=KEY), api_key=KEY, seed=9, max_examples=2000)
    assert run.interrupted
    assert run.verdict == "error"
    assert run.stats["requests"] == 0
    assert examples["n"] < 50  # it stopped at the next example, not after planning thousands


def test_planning_stops_when_told_and_the_plan_is_a_prefix() -> None:
    fx = default_fixtures()
    clear_plan_cache()
    full = plan_cases(fx, seed=3, max_examples=40, per_rule=2)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 150

    clear_plan_cache()
    cut = plan_cases(fx, seed=3, max_examples=40, per_rule=2, stop=stop)
    assert full.complete and not cut.complete
    assert [c.body for c in cut.invalid] == [c.body for c in full.invalid][: len(cut.invalid)]
    assert len(cut.invalid) + len(cut.valid) < len(full.invalid) + len(full.valid)
    again = plan_cases(fx, seed=3, max_examples=40, per_rule=2)
    assert again == full  # a cut plan is never cached in place of the full one


def test_a_plan_cut_by_the_budget_makes_the_run_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    real = _run.plan_cases
    monkeypatch.setattr(_run, "plan_cases", lambda *a, **k: dataclasses.replace(real(*a, **k), complete=False))
    run = check_implementation(app=create_app(api_key=KEY), api_key=KEY, seed=2, max_examples=3)
    assert run.verdict == "incomplete"
    assert any("planning ran out of the time budget" in e for e in run.errors)


def test_max_examples_is_bounded() -> None:
    with pytest.raises(ConfigError, match=f"at most {MAX_EXAMPLES:,}"):
        check_implementation(app=create_app(api_key=KEY), api_key=KEY, max_examples=MAX_EXAMPLES + 1)
    with pytest.raises(ConfigError, match="concurrency"):
        check_implementation(app=create_app(api_key=KEY), api_key=KEY, concurrency=0)


def test_selected_checks_plan_only_their_phases() -> None:
    sent: list[str] = []
    run = check_implementation(
        app=create_app(api_key=KEY),
        api_key=KEY,
        seed=1,
        checks=["auth_required"],
        on_request=lambda k, b: sent.append(k),
    )
    assert run.verdict == "passed"
    # the probe (a missing key, a wrong one, three near misses of the real one), one canonical request as control
    assert sent == ["auth"] * 5 + ["canonical"]
    assert run.stats["cases_per_check"] == {"auth_required": 5}
    business: list[str] = []
    check_implementation(
        app=create_app(api_key=KEY),
        api_key=KEY,
        seed=1,
        checks=["business_rules_enforced", "no_server_error"],
        on_request=lambda k, b: business.append(k),
    )
    assert set(business) == {"canonical", "business"} and business.count("canonical") == 1


def test_only_generic_checks_get_every_phase() -> None:
    sent: set[str] = set()
    check_implementation(
        app=create_app(api_key=KEY),
        api_key=KEY,
        seed=1,
        max_examples=2,
        checks=["no_server_error"],
        on_request=lambda k, b: sent.add(k),
    )
    assert sent == {"auth", "canonical", "business", "invalid", "valid", "pricing"}


def test_the_window_opens_only_for_a_target_that_is_not_instant() -> None:
    # In flight, requests to an app answering in a millisecond only add overhead (bench/bench_concurrency.py).
    # Judged on measured latencies, so the decision is tested on given ones: a loaded machine cannot flip it.
    assert not _run.window_opens([])
    assert not _run.window_opens([1.0, 2.0, 1.5])
    assert not _run.window_opens([12.0, 3.0, 15.0])  # one fast answer among them: still instant
    assert _run.window_opens([12.0, 15.0, 11.0])
    assert _run.window_opens([1.0, 12.0, 15.0, 11.0])  # the last three count
    away = check_implementation(app=remote(create_app(api_key=KEY)), api_key=KEY, seed=1, max_examples=5)
    assert away.stats["most_in_flight"] == away.stats["concurrency"] > 1


def test_request_digest_and_count_ignore_confirmations_and_discards() -> None:
    app = remote(create_app(api_key=KEY, seed=1))
    one = check_implementation(app=app, api_key=KEY, seed=4, max_examples=10, concurrency=1).stats
    many = check_implementation(app=app, api_key=KEY, seed=4, max_examples=10, concurrency=16).stats
    assert (one["requests"], one["request_digest"]) == (many["requests"], many["request_digest"])
    assert json.dumps(one["cases_per_check"]) == json.dumps(many["cases_per_check"])


def test_invalid_findings_quote_the_validator_on_their_rule() -> None:
    run = check_implementation(app=create_app(api_key=KEY, fault="accept_bad_country_case"), api_key=KEY, seed=1)
    (finding,) = [f for f in run.violations if f.rule == "billing.country.enum"]
    assert 'got 200, expected exactly 422: /billing/country: "us" is not one of the 249' in finding.message
    assert '(did you mean "US"?)' in finding.message


def test_the_schemathesis_phase_stops_planning_at_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    from dodo_contract.engine import _schemathesis

    def slow_planner(seed: int, n: int, *, stop: Any, **options: Any) -> list[Any]:
        while not stop():  # Schemathesis draws about 100 bodies/s: a big max_examples outlasts any budget
            time.sleep(0.01)
        return []

    monkeypatch.setattr(_schemathesis, "plan_schemathesis", slow_planner)
    run = check_implementation(
        app=create_app(api_key=KEY), api_key=KEY, seed=1, max_examples=1, schemathesis=True, time_budget_s=4
    )
    assert run.verdict == "incomplete"
    assert any("Schemathesis phase ran out of the time budget" in e for e in run.errors)


def test_progress_gets_the_live_violation_count_only_when_it_takes_one() -> None:
    four: list[tuple[Any, ...]] = []
    three: list[tuple[Any, ...]] = []

    def with_count(done: int, total: int | None, phase: str, violations: int | None = None) -> None:
        four.append((done, total, phase, violations))

    def without(done: int, total: int | None, phase: str) -> None:  # a user's callback of the documented shape
        three.append((done, total, phase))

    for callback in (with_count, without):
        app = create_app(api_key=KEY, seed=1, fault="missing_client_secret")
        check_implementation(app=app, api_key=KEY, seed=1, max_examples=5, progress=callback)
    assert len(four) == len(three) > 0
    assert four[0][3] == 0 and four[-1][3] >= 1  # counts up as findings come in
    assert all(len(call) == 3 for call in three)

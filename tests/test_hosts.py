"""The one live-host guard: hostile spellings of Dodo's live host are refused by every entry point, no socket opens.

The table lists spellings that httpx (the client the transport uses) would connect to ``live.dodopayments.com``,
or that a person or another parser could read as it; each must be refused without ``allow_live`` by
``guard_target``, ``resolve_config``, ``check_implementation``, the ``Transport``, ``replay`` and the plugin.
"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from _fault_server import Reply, fault_server

from dodo_contract.engine._hosts import canonical_base_url, guard_target, is_live_host, is_loopback
from dodo_contract.engine._transport import Transport
from dodo_contract.engine.engine import check_implementation
from dodo_contract.errors import ConfigError
from dodo_contract.frontends.cli import main
from dodo_contract.frontends.config import resolve_config

pytest_plugins = ["pytester"]

KEY = "sk_test_hosts_0123456789abcdef"
LIVE = "https://live.dodopayments.com"

# Spellings httpx itself normalises to the live host: refused as the live host, by name.
NORMALISED_TO_LIVE = [
    "https://live.dodopayments.com",
    "https://LIVE.DODOPAYMENTS.COM",
    "HTTPS://Live.DodoPayments.Com/",
    "https://live.dodopayments.com.",
    "https://live.dodopayments.com..",
    "https://live.dodopayments.com:443",
    "https://live.dodopayments.com:0443/",
    "http://live.dodopayments.com",
    "https://live.dodopayments.com/v1/",
    "  https://live.dodopayments.com  ",
    "https://live.dodopayments.com\n",
    "\thttps://live.dodopayments.com",
    "https://live.dodopayments.com\u3000",
    "https://live\u3002dodopayments\u3002com",  # ideographic full stops
    "https://live\uff0edodopayments\uff0ecom",  # fullwidth full stops
    "https://live\uff61dodopayments\uff61com",  # halfwidth ideographic full stops
    "https://api.live.dodopayments.com",
]
# Spellings that are refused because the host cannot be told apart safely (credentials, escapes, odd characters).
UNCLEAR = [
    "https://test.dodopayments.com@live.dodopayments.com",
    "https://user:pass@live.dodopayments.com",
    "https://live.dodopayments.com\\@test.dodopayments.com",
    "https://live.dodopayments.com%2F@test.dodopayments.com",
    "https://live%2Edodopayments%2Ecom",
    "https://%6c%69%76%65.dodopayments.com",
    "https://\uff4c\uff49\uff56\uff45.dodopayments.com",  # fullwidth letters
    "https://live.dodo\tpayments.com",
    "https://live.dodo\npayments.com",
    "https://live.dodopayments.com\\",
    "https://live.dodopayments.com;x",
    "https://live.dodopayments.com#x",
    "https://live.dodopayments.com?x=1",
    "https://live.dodopayments.com?@test.dodopayments.com",
    "//live.dodopayments.com",
    "https:live.dodopayments.com",
]
HOSTILE = NORMALISED_TO_LIVE + UNCLEAR


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record every DNS lookup and connect attempt made while the test runs (and let them through)."""
    seen: list[Any] = []
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(("connect", address))
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        seen.append(("connect", address))
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(("dns", host))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return seen


@pytest.mark.parametrize("url", HOSTILE)
def test_every_entry_point_refuses_a_hostile_spelling_and_opens_no_socket(
    url: str, no_sockets: list[Any], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError):
        guard_target(url, allow_live=False)
    with pytest.raises(ConfigError):
        resolve_config({"base_url": url, "api_key": KEY}, env={}, cwd=tmp_path)
    with pytest.raises(ConfigError):
        check_implementation(url, api_key=KEY, max_examples=1, seed=1)
    with pytest.raises(ConfigError):
        Transport(url, api_key=KEY)
    report = tmp_path / "dodo-contract.json"
    report.write_text(json.dumps({"tool": "dodo-contract", "target": url, "violations": [_recorded_violation()]}))
    for argv in (["replay", str(report)], ["replay", str(report), "--base-url", url]):
        err = io.StringIO()
        assert main([*argv, "--api-key", KEY], stdout=io.StringIO(), stderr=err) == 2
        assert "Traceback" not in err.getvalue()
    assert no_sockets == []


@pytest.mark.parametrize("url", NORMALISED_TO_LIVE)
def test_spellings_the_client_normalises_are_refused_as_the_live_host(url: str, tmp_path: Path) -> None:
    assert is_live_host(url)
    with pytest.raises(ConfigError, match="refusing to test Dodo's live host"):
        resolve_config({"base_url": url, "api_key": KEY}, env={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="refusing to test Dodo's live host"):
        check_implementation(url, api_key=KEY)
    # Allowed explicitly, the run goes to one canonical URL: the host judged is the host the client connects to.
    allowed = guard_target(url, allow_live=True)
    assert httpx.URL(allowed).host in ("live.dodopayments.com", "api.live.dodopayments.com")
    assert allowed == canonical_base_url(allowed)


def _recorded_violation() -> dict[str, Any]:
    body = '{"product_cart":[{"product_id":"prod_basic","quantity":1}]}'
    return {
        "check": "response_schema_conformance",
        "rule": "response.client_secret.required",
        "request": {"headers": {"Authorization": "Bearer ***REDACTED***"}, "body": json.loads(body)},
        "curl": f"curl -sS -i -X POST x -H 'Content-Type: application/json' --data-binary '{body}'",
    }


def test_the_recorder_sees_a_real_connection(no_sockets: list[Any]) -> None:
    # The test above proves nothing unless the recorder sees what the transport does.
    with fault_server(lambda n, h, b: Reply(401, b'{"code":"UNAUTHORIZED","message":"no"}')) as server:
        check_implementation(server.url, api_key=KEY, max_examples=1, seed=1, checks=["auth_required"])
    assert any(kind == "connect" for kind, _ in no_sockets)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("  http://127.0.0.1:8000/  ", "http://127.0.0.1:8000"),
        ("https://TEST.dodopayments.com./", "https://test.dodopayments.com"),
        ("http://localhost:8000/api/", "http://localhost:8000/api"),
        ("http://[0:0:0:0:0:0:0:1]:9/", "http://[::1]:9"),
        ("https://example.com:443", "https://example.com"),
        ("https://b\u00fccher.example/", "https://xn--bcher-kva.example"),
    ],
)
def test_canonical_form(url: str, canonical: str) -> None:
    assert canonical_base_url(url) == canonical
    assert guard_target(url, allow_live=False) == canonical


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:1", True),
        ("http://127.1:1", True),
        ("http://[::1]:1", True),
        ("http://[::ffff:127.0.0.1]:1", True),
        ("http://app.localhost", True),
        ("https://test.dodopayments.com", False),
        ("http://10.0.0.1", False),
    ],
)
def test_loopback_is_judged_on_the_canonical_host(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


@pytest.mark.parametrize("url", ["http://[zz]/", "http://[::1", "http://exa mple.com", "http://example.com:99999"])
def test_a_url_the_client_cannot_parse_is_a_clear_config_error(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--base-url"):
        resolve_config({"base_url": url, "api_key": KEY}, env={}, cwd=tmp_path)
    err = io.StringIO()
    assert main(["gate", "--base-url", url, "--api-key", KEY], stdout=io.StringIO(), stderr=err) == 2
    assert "Traceback" not in err.getvalue()
    assert err.getvalue().count("\n") == 1  # one clear line


def test_the_transport_sends_to_the_canonical_url() -> None:
    with fault_server(lambda n, h, b: Reply(401, b'{"code":"UNAUTHORIZED","message":"no"}')) as server:
        messy = f"  {server.url.upper().replace('HTTP', 'http')}/  "
        run = check_implementation(messy, api_key=KEY, max_examples=1, seed=1, checks=["auth_required"])
        assert server.requests > 0
    assert run.target == server.url


def test_the_plugin_refuses_every_hostile_spelling(pytester: pytest.Pytester, no_sockets: list[Any]) -> None:
    # In-process (the table is long); the modules these runs import are imported by this test module already.
    for url in HOSTILE:
        result = pytester.runpytest_inprocess(f"--dodo-base-url={url}", f"--dodo-api-key={KEY}", "-p", "no:randomly")
        assert result.ret == pytest.ExitCode.USAGE_ERROR, url
        text = result.stdout.str() + result.stderr.str()
        assert "dodo-contract: --dodo-base-url" in text or "refusing to test Dodo's live host" in text, url
        assert "Traceback" not in text
    assert no_sockets == []


def test_the_plugin_refuses_a_hostile_spelling_in_a_real_session(pytester: pytest.Pytester) -> None:
    url = "https://live\u3002dodopayments\u3002com"
    result = pytester.runpytest_subprocess(f"--dodo-base-url={url}", f"--dodo-api-key={KEY}", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "refusing to test Dodo's live host" in result.stderr.str()

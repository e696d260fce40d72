"""Send the chosen contract's operations to a base URL or an in-process ASGI app: rate limit, 429 retries, timeouts.

Only this module touches the network. It never sends anything but the documented operations of the contract it
was built for (``operations``: ``POST /payments``; or ``POST /checkouts``, ``POST /checkouts/preview`` and
``GET /checkouts/{id}`` with an id the server returned or the run's synthetic unknown id): any other method, path
or id raises ``UnsafeRequest`` before a byte is sent. Requests go to the canonical URL ``_hosts.guard_target``
returned (so the host judged is the host connected to); the Authorization header is the caller's key unless the
engine's auth probe asks for a missing or wrong one. Answers are streamed and read at
most up to ``MAX_BODY`` bytes (plus one chunk), so a server sending a gigabyte costs a few MiB.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import shlex
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import httpx

from ..contract.endpoints import ENDPOINTS, Endpoint
from ..contract.settings import ContractSettings
from ..errors import MIN_KEY_LENGTH, NEAR_MISS_LABELS, ConfigError, near_miss_keys, redact
from ._hosts import LIVE_HOSTS, guard_target, is_live_host, is_loopback

__all__ = [
    "LIVE_HOSTS",
    "MAX_BODY",
    "AuthMode",
    "BudgetExhausted",
    "Raw",
    "Transport",
    "UnsafeRequest",
    "check_api_key",
    "curl_command",
    "is_live_host",
    "is_loopback",
    "near_miss_placeholder",
    "redact_json",
]

# "near_*": a near miss of the real key (errors.near_miss_keys); never printed, shown as its label.
AuthMode = Literal["key", "missing", "wrong", "near_last", "near_prefix", "near_case"]
WRONG_KEY = "dodo-contract-wrong-key-0000000000000000"
DEFAULT_REMOTE_RATE = 20.0  # requests/s: half of Dodo's documented 40 req/s burst for the default tier
_IN_PROCESS_URL = "http://dodo-contract.invalid"
MAX_BODY = 4 * 1024 * 1024
_CHUNK = 64 * 1024
_USER_AGENT = "dodo-contract/0.1"


class UnsafeRequest(RuntimeError):
    """A request outside the documented operations of the run's contract was about to be sent (it was not)."""


class BudgetExhausted(Exception):
    """The run's time budget ran out before the request could be sent, or cut the request off.

    Either way there is nothing to judge: a request the run itself gave up on is not the server's fault.
    """


@dataclass(frozen=True, slots=True)
class Raw:
    """One answer as received (or why none came); ``headers`` have lower-case names."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    elapsed_ms: float | None = None
    error: str | None = None
    error_kind: str = ""
    received_at: float = 0.0
    retries_429: int = 0
    truncated: bool = False  # the body went over MAX_BODY; ``content`` holds its first MAX_BODY bytes


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Parse ``Retry-After`` (delay in seconds or an HTTP-date) into seconds from now; None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Transport:
    """An async sender bound to one target; use as ``async with Transport(...) as t: await t.post(body)``."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        app: Any = None,
        api_key: str,
        timeout: float = 10.0,
        rate_limit: float | None = None,
        settings: ContractSettings | None = None,
        deadline: float | None = None,
        allow_live: bool = False,
        operations: Iterable[str] = ("payments",),
    ) -> None:
        if (base_url is None) == (app is None):
            raise ConfigError("pass exactly one of base_url (a running implementation) or app (an ASGI app)")
        check_api_key(api_key)
        if not timeout > 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {timeout!r}")
        if rate_limit is not None and not rate_limit > 0:
            raise ConfigError(f"rate_limit must be > 0 requests/s (or None for the default), got {rate_limit!r}")
        self.api_key = api_key
        self.timeout = float(timeout)
        self.settings = settings or ContractSettings()
        self.deadline = deadline
        self.in_process = app is not None
        self.bytes_read = 0  # body bytes read from every answer, for the memory bound's tests
        if base_url is not None:
            # Defence in depth: every caller already guarded the URL, but this is where the socket opens.
            self.base_url = guard_target(base_url, allow_live=allow_live)
            default_rate = None if is_loopback(self.base_url) else DEFAULT_REMOTE_RATE
            self.target = self.base_url
        else:
            self.base_url = _IN_PROCESS_URL
            default_rate = None
            self.target = f"in-process app {type(app).__name__}"
        self.operations: dict[str, Endpoint] = {}
        for name in operations:
            if name not in ENDPOINTS:
                raise ConfigError(f"unknown operation {name!r}")
            self.operations[name] = ENDPOINTS[name]
        first = next(iter(self.operations.values()), None)
        if first is None:
            raise ConfigError("a transport needs at least one operation to send")
        self.url = self.base_url + first.path  # the first operation's URL (payments: POST /payments)
        self._ids: set[str] = set()  # session ids the server returned, or the run's synthetic unknown ids
        self.rate_limit = rate_limit if rate_limit is not None else default_rate
        self._interval = 1.0 / self.rate_limit if self.rate_limit else 0.0
        self._next_at = 0.0
        self._hold_until = 0.0  # a 429's Retry-After holds every sender, not just the one that got it
        self._app = app
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Transport:
        self._client = self._new_client()
        return self

    def _new_client(self) -> httpx.AsyncClient:
        if self._app is not None:
            transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=self._app, raise_app_exceptions=False)
        else:
            transport = httpx.AsyncHTTPTransport(retries=0)
        return httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(self.timeout), follow_redirects=False, trust_env=False
        )

    async def reset_connections(self) -> None:
        """Close every pooled connection; the next request opens a fresh one.

        A server that handles one connection at a time keeps serving an idle keep-alive connection while a request
        on another one waits: after sending concurrently, a request meant to be measured alone needs this.
        """
        if self._client is not None:
            await self._client.aclose()
            self._client = self._new_client()

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def allow_id(self, session_id: str) -> None:
        """Allow ``GET /checkouts/{session_id}``: an id the server returned, or the run's synthetic unknown one."""
        self._ids.add(session_id)

    def url_for(self, operation: str = "payments", path_id: str = "") -> str:
        """Return the URL of one documented operation; raise ``UnsafeRequest`` for anything else.

        A path parameter must be an id this run allowed (``allow_id``); it is percent-encoded as one path segment,
        and ``.``/``..`` (which a client would collapse into another path) are refused.
        """
        endpoint = self.operations.get(operation)
        if endpoint is None:
            allowed = ", ".join(e.label for e in self.operations.values())
            raise UnsafeRequest(f"refused to send {operation!r}: this run sends only {allowed}")
        if "{id}" not in endpoint.path:
            if path_id:
                raise UnsafeRequest(f"refused to send {endpoint.label} with a path parameter")
            return self.base_url + endpoint.path
        if not path_id or path_id.strip(".") == "" or path_id not in self._ids:
            raise UnsafeRequest(f"refused to send {endpoint.label}: the id is not one the server returned")
        return self.base_url + endpoint.path.replace("{id}", quote(path_id, safe=""))

    def headers(self, auth: AuthMode = "key", *, body: bool = True) -> dict[str, str]:
        """Return the request headers for ``auth`` (the real key, none, or a made-up wrong one)."""
        # identity: the bytes read are the bytes sent, so the body cap bounds memory (no decompression bomb)
        out = {
            "Accept": "application/json",
            "Accept-Encoding": "identity",
            "User-Agent": _USER_AGENT,
        }
        if body:
            out = {"Content-Type": "application/json", **out}
        if auth == "key":
            out["Authorization"] = f"Bearer {self.api_key}"
        elif auth == "wrong":
            out["Authorization"] = f"Bearer {WRONG_KEY}"
        elif auth in NEAR_MISS_LABELS:
            out["Authorization"] = f"Bearer {near_miss_keys(self.api_key)[auth]}"
        return out

    def redact(self, text: str) -> str:
        """Remove the API key from ``text``."""
        return redact(text, [self.api_key])

    async def post(self, body: bytes, *, auth: AuthMode = "key") -> Raw:
        """Send one request of the first operation (``POST /payments``); see ``send``."""
        return await self.send(body, auth=auth)

    async def send(self, body: bytes, *, auth: AuthMode = "key", operation: str = "", path_id: str = "") -> Raw:
        """Send one request of ``operation`` (default: the first), honouring the rate limit and ``Retry-After``.

        Raises ``UnsafeRequest`` (before anything is sent) for a method, path or id outside the contract, and
        ``BudgetExhausted`` when the run's deadline has passed before sending.
        """
        endpoint = self.operations.get(operation) if operation else next(iter(self.operations.values()))
        url = self.url_for(operation or (endpoint.name if endpoint else ""), path_id)
        assert endpoint is not None
        retries = 0
        while True:
            raw = await self._send_once(body, auth, endpoint.method, url)
            if raw.status != 429 or retries >= self.settings.max_retries_429:
                return _with_retries(raw, retries)
            wait = retry_after_seconds(raw.headers.get("retry-after"))
            if wait is None:
                wait = 0.5 * 2**retries
            if wait > self.settings.max_retry_after_s or (
                self.deadline is not None and time.monotonic() + wait >= self.deadline
            ):
                return _with_retries(raw, retries)
            retries += 1
            self._hold_until = max(self._hold_until, time.monotonic() + wait)
            await asyncio.sleep(wait)

    async def _send_once(self, body: bytes, auth: AuthMode, method: str, url: str) -> Raw:
        assert self._client is not None, "use Transport as an async context manager"
        await self._pace()
        timeout = self.timeout
        cut_by_deadline = False
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise BudgetExhausted
            if left < timeout:
                timeout, cut_by_deadline = left, True
        start = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                content_arg = body if method != "GET" else None
                headers = self.headers(auth, body=method != "GET")
                async with self._client.stream(method, url, content=content_arg, headers=headers) as response:
                    content, truncated = await self._read(response)
        except (TimeoutError, httpx.TimeoutException):
            if cut_by_deadline:
                raise BudgetExhausted from None
            return self._failure("timeout", f"no answer within {timeout:.1f} s", start)
        except httpx.ConnectError as exc:
            return self._failure("connection", f"cannot connect to {self.target}: {exc or type(exc).__name__}", start)
        except httpx.HTTPError as exc:
            return self._failure("protocol", f"unreadable answer: {type(exc).__name__}: {exc}", start)
        except OSError as exc:
            return self._failure("connection", f"cannot reach {self.target}: {exc}", start)
        elapsed = (time.perf_counter() - start) * 1000.0
        headers = {self.redact(k.lower()): self.redact(v) for k, v in response.headers.items()}
        return Raw(response.status_code, headers, content, elapsed, received_at=time.time(), truncated=truncated)

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        """Read the body up to ``MAX_BODY`` bytes; stop there (the connection is then closed, unread)."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes(_CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            self.bytes_read += len(chunk)
            if size > MAX_BODY:
                return b"".join(chunks)[:MAX_BODY], True
        return b"".join(chunks), False

    def _failure(self, kind: str, message: str, start: float) -> Raw:
        elapsed = (time.perf_counter() - start) * 1000.0
        return Raw(None, error=self.redact(message), error_kind=kind, elapsed_ms=elapsed, received_at=time.time())

    async def _pace(self) -> None:
        """Wait for this request's slot; raise ``BudgetExhausted`` if the slot lies beyond the deadline.

        Each sender reserves its slot before sleeping, so concurrent senders never share one (the rate holds).
        """
        now = time.monotonic()
        slot = max(now, self._hold_until, self._next_at if self._interval else 0.0)
        if self.deadline is not None and slot >= self.deadline:
            raise BudgetExhausted
        if self._interval:
            self._next_at = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def curl(self, body: bytes, auth: AuthMode = "key", *, operation: str = "", path_id: str = "") -> str:
        """Return a curl command reproducing the request, with the key as ``$DODO_API_KEY``."""
        endpoint = self.operations.get(operation) if operation else next(iter(self.operations.values()))
        method = endpoint.method if endpoint is not None else "POST"
        path = endpoint.path if endpoint is not None else "/payments"
        path = path.replace("{id}", quote(path_id, safe=""))
        url = f"$DODO_BASE_URL{path}" if self.in_process else self.base_url + path
        return curl_command(url, body, auth=auth, method=method)


def check_api_key(api_key: object) -> None:
    """Raise ``ConfigError`` unless ``api_key`` is a string of at least ``MIN_KEY_LENGTH`` characters.

    The message never contains the key. Shorter keys cannot be real, and redacting them would mangle every text.
    """
    if not isinstance(api_key, str) or not api_key:
        raise ConfigError("api_key must be a non-empty string")
    if len(api_key) < MIN_KEY_LENGTH:
        raise ConfigError(f"the API key is too short ({len(api_key)} characters, at least {MIN_KEY_LENGTH} expected)")


def _with_retries(raw: Raw, retries: int) -> Raw:
    if not retries:
        return raw
    return Raw(
        raw.status,
        raw.headers,
        raw.content,
        raw.elapsed_ms,
        raw.error,
        raw.error_kind,
        raw.received_at,
        retries,
        raw.truncated,
    )


def curl_command(url: str, body: bytes, *, auth: AuthMode = "key", method: str = "POST") -> str:
    """Build a copy-pasteable curl command; the key is never inlined (``$DODO_API_KEY``)."""
    quoted_url = f'"{url}"' if url.startswith("$") else shlex.quote(url)
    parts = [f"curl -sS -i -X {method}", quoted_url]
    if method != "GET":
        parts.append("-H 'Content-Type: application/json'")
    if auth == "key":
        parts.append('-H "Authorization: Bearer $DODO_API_KEY"')
    elif auth == "wrong":
        parts.append(shlex.quote(f"-H Authorization: Bearer {WRONG_KEY}").replace("'-H ", "-H '", 1))
    elif auth in NEAR_MISS_LABELS:
        parts.append(f"-H 'Authorization: Bearer {near_miss_placeholder(auth)}'")
    try:
        text = body.decode("utf-8")
        printable = "\x00" not in text
    except UnicodeDecodeError:
        printable = False
    if method == "GET":
        return " ".join(parts)
    if printable:
        parts.append("--data-binary " + shlex.quote(text))
        return " ".join(parts)
    import base64

    encoded = base64.b64encode(body).decode("ascii")
    return f"printf %s {shlex.quote(encoded)} | base64 -d | " + " ".join(parts) + " --data-binary @-"


def near_miss_placeholder(auth: str) -> str:
    """Return what reports and reproducers show for a near-miss key: its description, never the key."""
    return f"<{NEAR_MISS_LABELS[auth]}>"


def redact_json(value: Any, secrets: list[str]) -> Any:
    """Return ``value`` with every secret (and fragment of one) replaced inside its strings, keys and values alike.

    Each string is redacted on its own, so a JSON structure never breaks; values without a trace of a secret
    come back as the same object.
    """
    keys = [s for s in secrets if s]
    if not keys:
        return value
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return value
    if redact(text, keys) == text:
        return value
    return _redact_strings(value, keys)


def _redact_strings(value: Any, keys: list[str]) -> Any:
    if isinstance(value, str):
        return redact(value, keys)
    if isinstance(value, dict):
        return {_redact_strings(k, keys): _redact_strings(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_strings(v, keys) for v in value]
    return value

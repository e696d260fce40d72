"""The reference mock of ``POST /payments`` and Checkout Sessions: a faithful local implementation, with fault modes.

``create_app`` returns a Starlette (ASGI) app usable in-process (``httpx.ASGITransport``) or over HTTP;
``serve_mock`` runs it with uvicorn on loopback in a background thread; ``run_mock_command`` is the
``dodo-contract mock`` command. Each request goes through these steps, the first failure wins:

1. auth: ``Authorization: Bearer <key>`` (scheme case-insensitive, key compared in constant time) -> 401;
2. route: ``POST /payments``, and ``POST /checkouts``, ``POST /checkouts/preview``, ``GET /checkouts/{id}``
   (answered by ``_checkouts.CheckoutSessions`` with the version's checkouts contract, from the same catalog);
   another path -> 404 ``NOT_FOUND``, another method on a known path -> 405 with ``Allow``;
3. body: over 1 MiB -> 413 ``PAYLOAD_TOO_LARGE`` (stops reading at the limit); not UTF-8 JSON, NaN, or not
   an object -> 422 ``INVALID_REQUEST_BODY``;
4. schema (``validate_request`` of the mock's spec version) -> 422 ``INVALID_REQUEST_BODY`` naming the first
   field, with every violation in an extra ``violations`` list; when the only violations are documented prose
   rules the documented code is used instead: empty cart the version's ``codes.empty_cart``
   (``PRODUCT_CART_EMTPY``, the real server's spelling), over 50 metadata pairs ``MAXIMUM_KEYS_REACHED``,
   ``payment_method_id`` without ``customer_id`` and, from 1.113.0, ``discount_code`` with ``discount_codes``,
   more than 20 ``discount_codes``, ``require_phone_number`` without a phone ``INVALID_REQUEST_PARAMETERS`` (in
   that priority). A field the version does not know is an unknown key: ignored, as the real server does;
5. catalog business rules (see ``dodo_contract._business``) -> 422 with the documented code;
6. 200 with a body that passes ``validate_response``.

Every answer is JSON with ``application/json``; an unexpected exception answers 500 ``INTERNAL_SERVER_ERROR``
without a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import os
import random
import secrets
import signal
import socket
import string
import threading
import time
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..contract.fixtures import Fixtures, default_fixtures, load_fixtures
from ..contract.versions import BUNDLED, Contract, SpecVersion, get_contract, load_contract
from ..errors import ConfigError, DodoContractError, Violation, redact
from ..validation.validator import parse_json, validate_request
from ._business import Catalog, build_success, business_error
from ._checkouts import CheckoutSessions, family_of
from ._fault import kept_violations
from ._fault_hooks import invalid_reply, schema_error_reply
from .faults import FAULTS, Fault, Reply, error_reply, get_fault

__all__ = ["MAX_BODY_BYTES", "MockServer", "create_app", "run_mock_command", "serve_mock"]

MAX_BODY_BYTES = 1 << 20
BODY_TIMEOUT_S = 30.0
UNAUTHORIZED_MESSAGE = "You are not authorised to perform this action"
_ALPHABET = string.ascii_letters + string.digits
_ID_TABLE = bytes(ord(_ALPHABET[i % len(_ALPHABET)]) for i in range(256))  # byte -> id character (tiny bias)
# Documented prose rules and the code Dodo answers with when they are the only problem, in priority order
# (None: the version's empty-cart code). A version without a rule never reports it.
_PARAMS = "INVALID_REQUEST_PARAMETERS"
_PROSE_CODES: dict[str, tuple[str | None, str]] = {
    "product_cart.minItems": (None, "product_cart is empty"),
    "metadata.maxProperties": ("MAXIMUM_KEYS_REACHED", "Metadata exceeds 50 key-value pairs"),
    "customer.payment_method_requires_customer_id": (
        _PARAMS,
        "payment_method_id requires customer.customer_id (an existing customer)",
    ),
    "discount_codes.exclusive_with_discount_code": (
        _PARAMS,
        "discount_code cannot be used together with discount_codes",
    ),
    "discount_codes.maxItems": (_PARAMS, "At most 20 discount codes can be stacked"),
    "customer.phone_number_required": (_PARAMS, "The customer's phone number is required for this payment"),
}
_SERVED = "POST /payments, POST /checkouts, POST /checkouts/preview and GET /checkouts/{id}"
FixturesSource = Fixtures | str | Path | Mapping[str, Any]
_log = logging.getLogger(__name__)
_sleep = anyio.sleep  # module-level so tests can observe stalls without waiting for them


def _new_key() -> str:
    return "sk_test_" + secrets.token_urlsafe(24)


def _encode(body: Any) -> bytes:
    # ASCII escapes (the default) keep lone surrogates from a client's JSON encodable.
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()


class _Mock:
    """The request pipeline; one instance per app: the contract, catalog, key digest, fault and id generator."""

    def __init__(
        self,
        fixtures: Fixtures,
        api_key: str,
        fault: Fault | None,
        seed: int | None,
        contract: Contract,
        tax_rate: float = 0.0,
    ) -> None:
        self.contract = contract
        self.catalog = Catalog(fixtures, contract)
        self.tax_rate = tax_rate
        self.key_digest = hashlib.sha256(api_key.encode()).digest()
        self.fault = fault
        # Only a fault that compares keys sloppily needs the key itself; the faithful mock keeps its digest.
        self._sloppy_key = api_key if fault is not None and fault.accepts_key is not None else None
        self.rng = random.Random(seed) if seed is not None else random.Random(secrets.randbits(64))
        self.counter = itertools.count(1)
        self.checkouts = CheckoutSessions(fixtures, contract, self.new_id, tax_rate=tax_rate)

    def new_id(self, prefix: str, length: int) -> str:
        return prefix + self.rng.randbytes(length).translate(_ID_TABLE).decode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A raw ASGI endpoint, so Starlette's routing never answers (in text/plain) on the mock's behalf.
        if scope["type"] != "http":
            return
        response = await self.answer(Request(scope, receive))
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        """Answer one request (every method, every path)."""
        n = next(self.counter)
        # A fault breaks its own family's operations; the other family is answered faithfully.
        fault = self.fault if self.fault is not None and self.fault.family == family_of(request.scope["path"]) else None
        try:
            if fault is not None and fault.delay is not None:
                stall = fault.delay(n)
                if stall > 0:
                    await _sleep(stall)
            reply = await self._handle(request, fault)
        except Exception:  # a crash must still answer JSON, and never show the client a traceback
            # Faults crash on purpose (quietly); a crash of the faithful mock is a bug worth logging.
            _log.log(logging.DEBUG if fault is not None else logging.ERROR, "mock crashed", exc_info=True)
            reply = error_reply(500, "INTERNAL_SERVER_ERROR", "Something went wrong")
        if fault is not None:
            if fault.on_error is not None and reply.status != 200:
                reply = fault.on_error(reply)
            if fault.on_reply is not None:
                reply = fault.on_reply(reply, n)
        content = reply.raw if reply.raw is not None else _encode(reply.body)
        return Response(content, reply.status, reply.headers, reply.content_type)

    def _authorised(self, header: str | None, fault: Fault | None) -> bool:
        if header is None or header[:7].lower() != "bearer ":
            return False
        if self._sloppy_key is not None and fault is not None and fault.accepts_key is not None:
            return fault.accepts_key(header[7:].strip(), self._sloppy_key)
        # Hashing first makes the comparison constant-time whatever the length of the presented key.
        presented = hashlib.sha256(header[7:].strip().encode("latin-1")).digest()
        return hmac.compare_digest(presented, self.key_digest)

    async def _handle(self, request: Request, fault: Fault | None) -> Reply:
        if not self._authorised(request.headers.get("authorization"), fault) and not (fault and fault.auth_ignored):
            return error_reply(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
        path = request.scope["path"]
        if family_of(path) == "checkouts":
            return await self._checkout(request, path, fault)
        if path != "/payments":
            return error_reply(404, "NOT_FOUND", f"No such endpoint; this server serves {_SERVED}")
        if request.method != "POST":
            return error_reply(
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method[:20]} is not allowed on /payments",
                headers={"Allow": "POST"},
            )
        payload = await _read_json(request, self.contract)
        if isinstance(payload, Reply):
            return payload
        return self._process(payload, fault)

    async def _checkout(self, request: Request, path: str, fault: Fault | None) -> Reply:
        checkouts = self.checkouts
        operation, allow = checkouts.route(request.method, path)
        if operation is None and allow is None:
            return error_reply(404, "NOT_FOUND", f"No such endpoint; this server serves {_SERVED}")
        if operation is None:
            return error_reply(
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method[:20]} is not allowed on {path[:80]}",
                headers={"Allow": allow or ""},
            )
        if operation == "checkouts.get":
            return checkouts.status(checkouts.session_id(path), fault)
        payload = await _read_json(request, checkouts.create_contract)
        if isinstance(payload, Reply):
            return payload
        if fault is not None and fault.normalise is not None:
            payload = fault.normalise(payload)
        if operation == "checkouts":
            return checkouts.create(payload, fault)
        return checkouts.preview(payload, fault)

    def _process(self, payload: dict[str, Any], fault: Fault | None) -> Reply:
        if fault is not None and fault.normalise is not None:
            payload = fault.normalise(payload)
        violations = validate_request(payload, spec_version=self.contract).violations
        violations, lenient = kept_violations(violations, fault)
        if violations:
            return _schema_error(violations, self.contract)
        if fault is not None and fault.refuse is not None:
            refused = fault.refuse(payload)
            if refused is not None:
                return refused
        if not lenient:
            waived = fault.waives if fault is not None else None
            if fault is not None and fault.waives_when is not None:
                when, plain = fault.waives_when, fault.waives
                waived = lambda rule: when(rule, payload, self.catalog) or bool(plain and plain(rule))  # noqa: E731
            problem = business_error(payload, self.catalog, waived=waived)
            if problem is not None:
                return error_reply(422, *problem)
        body = build_success(payload, self.catalog, self.new_id, now=datetime.now(UTC), tax_rate=self.tax_rate)
        if fault is not None and fault.reprice is not None:
            body["total_amount"] = fault.reprice(payload, self.catalog)
        if fault is not None and fault.on_success is not None:
            body = fault.on_success(body, payload)
        return Reply(200, body)


async def _read_json(request: Request, contract: Contract) -> dict[str, Any] | Reply:
    """Read and parse the body: a JSON object, or the 413 / 422 / 408 answer."""
    body = await _read_body(request)
    if isinstance(body, Reply):
        return body
    try:
        payload = parse_json(body)
    except ValueError as exc:
        violation = Violation("", "body.json", "json", f"body is not JSON: {exc}")
        return _invalid(f"Your request body is not valid JSON: {exc}", [violation])
    if not isinstance(payload, dict):
        violations = validate_request(payload, spec_version=contract).violations
        return _invalid("The request body must be a JSON object", violations)
    return payload


async def _read_body(request: Request) -> bytes | Reply:
    """Read the body up to ``MAX_BODY_BYTES``: a larger declared or streamed body stops reading at once."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _too_large()
    message = await request.receive()
    chunk = message.get("body", b"") if message["type"] == "http.request" else b""
    if message["type"] == "http.request" and not message.get("more_body", False):
        return chunk if len(chunk) <= MAX_BODY_BYTES else _too_large()  # the usual case: one message
    chunks, size = [chunk], len(chunk)
    try:
        with anyio.fail_after(BODY_TIMEOUT_S):  # a client trickling its body must not hold a slot forever
            while message["type"] == "http.request" and message.get("more_body", False):
                if size > MAX_BODY_BYTES:
                    return _too_large()
                message = await request.receive()
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
    except TimeoutError:
        return error_reply(408, "REQUEST_TIMEOUT", f"The request body did not arrive within {BODY_TIMEOUT_S:g} s")
    if message["type"] != "http.request":
        return error_reply(400, "INVALID_REQUEST_BODY", "The client disconnected before sending the whole body")
    return b"".join(chunks) if size <= MAX_BODY_BYTES else _too_large()


def _too_large() -> Reply:
    return error_reply(413, "PAYLOAD_TOO_LARGE", f"The request body exceeds {MAX_BODY_BYTES} bytes (1 MiB)")


def _invalid(message: str, violations: tuple[Violation, ...] | list[Violation]) -> Reply:
    return invalid_reply(message, violations)


def _schema_error(violations: tuple[Violation, ...], contract: Contract) -> Reply:
    return schema_error_reply(violations, _PROSE_CODES, contract.codes.empty_cart)


def _family_contract(contract: Contract, family: str) -> Contract:
    try:
        return get_contract(contract, operation=family)
    except ConfigError:  # a loaded document without this family's operations
        return contract


def create_app(
    *,
    fixtures: FixturesSource | None = None,
    api_key: str,
    fault: str | Fault | None = None,
    seed: int | None = None,
    spec_version: SpecVersion = None,
    tax_rate: float = 0.0,
) -> Starlette:
    """Return the mock as an ASGI app accepting ``api_key``; ``fault`` names a fault mode (see ``FAULTS``).

    ``fixtures`` is the catalog (a ``Fixtures``, a path or a mapping; default: the packaged catalog);
    ``seed`` makes generated ids reproducible. ``spec_version`` (a bundled version, ``"latest"``, a ``Contract``
    from ``load_contract``, or None for the latest) is the version the mock serves: it validates with it, and
    knows only its fields. ``tax_rate`` (default 0: no tax) adds that share on top of the prices that are not
    tax-``inclusive`` (rounded on the total; none when a ``tax_id`` is sent), as a server with tax-exclusive pricing
    does. A malformed catalog, unknown fault or unknown version raises ``ConfigError``.
    """
    if isinstance(tax_rate, bool) or not isinstance(tax_rate, (int, float)) or not 0 <= tax_rate < 1:
        raise ConfigError(f"tax_rate must be a number from 0 to 1 (a share of the price), got {tax_rate!r}")
    if not isinstance(api_key, str) or not api_key.strip():
        raise ConfigError("api_key must be a non-empty string")
    contract = get_contract(spec_version)
    chosen = get_fault(fault)
    if chosen is not None and not chosen.applies_to(_family_contract(contract, chosen.family)):
        raise ConfigError(f"fault {chosen.name!r} means nothing in spec version {contract.version} (see --list-faults)")
    catalog = default_fixtures() if fixtures is None else load_fixtures(fixtures)
    mock = _Mock(catalog, api_key.strip(), chosen, seed, contract, float(tax_rate))
    # No routes: auth is judged before routing, so every request (any path, even "*") goes to the pipeline.
    app = Starlette()
    app.router.default = mock
    app.state.mock = mock
    return app


@dataclass(frozen=True, slots=True)
class MockServer:
    """A running mock: ``url`` (no trailing slash), the ``api_key`` it accepts, its catalog, fault and version."""

    url: str
    api_key: str
    host: str
    port: int
    fixtures: Fixtures
    fault: Fault | None
    spec_version: str = ""


class _Server(uvicorn.Server):
    # uvicorn re-raises SIGINT/SIGTERM after a graceful stop; the command should just return instead.
    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handlers = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)


def _server(app: Starlette) -> _Server:
    config = uvicorn.Config(
        app,
        http="h11",
        lifespan="off",
        access_log=False,
        log_level="warning",
        log_config=None,
        ws="none",
        timeout_keep_alive=5,
        server_header=False,
    )
    return _Server(config)


def _bind(host: str, port: int) -> socket.socket:
    if not 0 <= port <= 65535:
        raise ConfigError(f"port must be between 0 and 65535, got {port}")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # proto must be IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on such sockets, and without it
        # Nagle's algorithm adds ~40 ms to every keep-alive answer.
        sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> tuple[str, int, str]:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return host, port, f"http://{shown}:{port}"


@contextmanager
def serve_mock(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    fixtures: FixturesSource | None = None,
    api_key: str | None = None,
    fault: str | Fault | None = None,
    seed: int | None = None,
    startup_timeout: float = 10.0,
    spec_version: SpecVersion = None,
) -> Iterator[MockServer]:
    """Run the mock over HTTP in a background thread (default: loopback, a free port); stop it on exit.

    Yields a ``MockServer`` with ``.url`` and ``.api_key`` (generated when not given). ``spec_version`` as for
    ``create_app``.
    """
    key = api_key or _new_key()
    app = create_app(fixtures=fixtures, api_key=key, fault=fault, seed=seed, spec_version=spec_version)
    mock: _Mock = app.state.mock
    sock = _bind(host, port)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="dodo-contract-mock", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise DodoContractError("the mock server did not start")
            time.sleep(0.002)
        bound_host, bound_port, url = _url(sock)
        yield MockServer(url, key, bound_host, bound_port, mock.catalog.fixtures, mock.fault, mock.contract.version)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _resolve_key(given: str | None) -> tuple[str, bool]:
    for candidate in (given, os.environ.get("DODO_API_KEY"), os.environ.get("DODO_PAYMENTS_API_KEY")):
        if candidate and candidate.strip():
            return candidate.strip(), False
    return _new_key(), True


def _mock_contract(spec_version: str | None, openapi: str | None) -> Contract:
    if openapi is not None:
        if spec_version is not None:
            raise ConfigError("give --spec-version or --openapi, not both")
        return load_contract(openapi)
    return get_contract(spec_version)


def _spec_label(contract: Contract) -> str:
    return contract.version if contract.bundled else f"{contract.version} from {contract.source.file}"


def run_mock_command(args: Any, *, out: TextIO, err: TextIO) -> int:
    """Run ``dodo-contract mock``: print the URL, serve until SIGINT/SIGTERM; 0 on a clean stop, 2 on bad options."""
    if args.list_faults:
        for fault in FAULTS.values():
            only = [v for v in BUNDLED if fault.applies_to(_family_contract(get_contract(v), fault.family))]
            where = "" if len(only) == len(BUNDLED) else f" (spec {', '.join(only)} only)"
            family = " [Checkout Sessions]" if fault.family == "checkouts" else ""
            print(f"{fault.name}: {fault.description}{where}{family}", file=out)
        return 0
    key, generated = _resolve_key(args.api_key)
    try:
        contract = _mock_contract(getattr(args, "spec_version", None), getattr(args, "openapi", None))
        fixtures = load_fixtures(args.catalog) if args.catalog else default_fixtures()
        app = create_app(fixtures=fixtures, api_key=key, fault=args.fault, seed=args.seed, spec_version=contract)
        sock = _bind(args.host, args.port)
    except ConfigError as exc:
        print(redact(f"dodo-contract mock: {exc}", [key]), file=err)
        return 2
    server = _server(app)
    _, _, url = _url(sock)
    print(f"dodo-contract mock listening on {url}", file=out)
    if generated:
        print(f"dodo-contract mock: generated API key {key} (set --api-key or DODO_API_KEY to choose one)", file=out)
    if args.fault:
        print(f"dodo-contract mock: fault mode {args.fault}", file=out)
    print(f"dodo-contract mock: serving spec version {_spec_label(contract)}", file=out)
    out.flush()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0

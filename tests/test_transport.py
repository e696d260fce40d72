"""The transport: answers read up to the cap and no further, pacing that honours the deadline and holds across
concurrent senders, the run's own deadline is not a server timeout."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from _fault_server import HANG, fault_server

from dodo_contract.engine import _transport
from dodo_contract.engine._transport import MAX_BODY, BudgetExhausted, Transport

KEY = "sk_test_transport_0123456789"
ONE_GB = 1 << 30


@contextmanager
def huge_answer_server() -> Iterator[tuple[str, dict[str, int]]]:
    """Answer one POST with a 200 whose body streams up to 1 GB; count the bytes the server managed to send."""
    sent = {"bytes": 0}
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)  # the request (headers and a small body)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % ONE_GB)
            chunk = b'{"a":"' + b"x" * 65530
            try:
                while sent["bytes"] < ONE_GB:
                    conn.sendall(chunk)
                    sent["bytes"] += len(chunk)
            except OSError:
                pass  # the client stopped reading and closed: what we want

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", sent
    finally:
        listener.close()
        thread.join(30)


def _post(transport: Transport, body: bytes = b"{}") -> Any:
    async def go() -> Any:
        async with transport:
            return await transport.post(body)

    return asyncio.run(go())


def test_a_huge_answer_is_read_up_to_the_cap_and_no_further() -> None:
    with huge_answer_server() as (url, sent):
        transport = Transport(url, api_key=KEY, timeout=30)
        raw = _post(transport)
    assert raw.status == 200
    assert raw.truncated is True
    assert len(raw.content) == MAX_BODY
    # Bounded by construction: the cap plus one read chunk, whatever the server had in store.
    assert transport.bytes_read <= MAX_BODY + _transport._CHUNK
    assert sent["bytes"] < ONE_GB // 8  # it stopped long before the gigabyte (socket buffers hold a few MB)


def test_an_answer_under_the_cap_is_whole() -> None:
    with fault_server(lambda n, h, b: _reply(b'{"code":"X","message":"' + b"y" * 100_000 + b'"}')) as server:
        raw = _post(Transport(server.url, api_key=KEY))
    assert raw.truncated is False
    assert len(raw.content) == 100_000 + len(b'{"code":"X","message":""}')


def _reply(body: bytes) -> Any:
    from _fault_server import Reply

    return Reply(422, body, {"Content-Type": "application/json"})


def test_the_runs_own_deadline_cuts_a_request_without_calling_it_a_timeout() -> None:
    with fault_server(lambda n, h, b: HANG) as server:
        transport = Transport(server.url, api_key=KEY, timeout=30, deadline=time.monotonic() + 0.3)
        with pytest.raises(BudgetExhausted):
            _post(transport)


def test_pacing_stops_at_the_deadline_instead_of_sleeping_past_it(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(_transport.asyncio, "sleep", sleep)
    with fault_server(lambda n, h, b: _reply(b'{"code":"X","message":"y"}')) as server:
        transport = Transport(server.url, api_key=KEY, rate_limit=0.01, deadline=time.monotonic() + 5)

        async def go() -> list[Any]:
            async with transport:
                first = await transport.post(b"{}")
                try:
                    await transport.post(b"{}")  # the next slot is 100 s away, past the deadline
                except BudgetExhausted:
                    return [first, "budget"]
                return [first, "sent"]

        outcome = asyncio.run(go())
    assert outcome[1] == "budget"
    assert not [d for d in slept if d > 5]  # never asked to sleep past the run's deadline


def test_concurrent_senders_each_get_their_own_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(_transport.asyncio, "sleep", sleep)
    with fault_server(lambda n, h, b: _reply(b'{"code":"X","message":"y"}')) as server:
        transport = Transport(server.url, api_key=KEY, rate_limit=10)

        async def go() -> None:
            async with transport:
                await asyncio.gather(*(transport.post(b"{}") for _ in range(5)))

        asyncio.run(go())
    # Five senders at once at 10/s: slots 0.1 s apart, so four of them wait 0.1, 0.2, 0.3, 0.4 s (never the same).
    waits = sorted(slept)
    assert len(waits) == 4
    assert all(b - a > 0.05 for a, b in itertools.pairwise(waits))
    assert waits[-1] == pytest.approx(0.4, abs=0.05)

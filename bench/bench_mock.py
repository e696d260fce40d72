"""Benchmark the reference mock: valid POST /payments requests per second and latency, loopback and in-process.

Loopback: the mock runs as ``dodo-contract mock`` in its own process (uvicorn, h11; httptools is not
installed here) and ``--clients`` asyncio connections send keep-alive requests through a minimal HTTP/1.1
client, so the client costs little of the shared 2 cores. In-process: the ASGI app is called directly, and
through ``httpx.ASGITransport`` (what the engine uses). Baseline: a bare ASGI app answering a fixed JSON
body, measured the same way in the same run, so the ratio shows what the mock's pipeline costs.

Targets on a 2-core machine: >= 2,000 req/s over loopback with p99 < 10 ms; >= 5,000 req/s in-process.
Numbers are printed, never asserted.

    .venv/bin/python bench/bench_mock.py [--requests 3000] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from dodo_contract.mock.app import create_app

KEY = "sk_bench_key_123456"
REQUEST = {
    "billing": {"country": "US", "city": "Austin", "zipcode": "78701"},
    "customer": {"email": "ada@example.com", "name": "Ada"},
    "product_cart": [
        {"product_id": "prod_basic", "quantity": 2},
        {"product_id": "prod_tip_jar", "quantity": 1, "amount": 300},
    ],
    "discount_code": "SAVE10",
    "metadata": {"order": "1234"},
    "payment_link": True,
}
BODY = json.dumps(REQUEST).encode()
Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def _baseline_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app: read the body, answer a fixed JSON document."""
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    payload = b'{"payment_id":"pay_1","total_amount":0,"client_secret":"s","customer":{},"metadata":{}}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _summary(label: str, latencies: list[float], elapsed: float) -> dict[str, float]:
    latencies.sort()
    stats = {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }
    print(f"  {label:<38} {stats['rps']:>9,.0f} req/s   p50 {stats['p50_ms']:6.2f} ms   p99 {stats['p99_ms']:6.2f} ms")
    return stats


async def _direct(app: Asgi, count: int) -> tuple[list[float], float]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/payments",
        "raw_path": b"/payments",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {KEY}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    latencies = []
    start = time.perf_counter()
    for _ in range(count):
        t0 = time.perf_counter()
        await app(dict(scope), receive, send)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    if set(statuses) != {200}:
        raise SystemExit(f"unexpected statuses in-process: {sorted(set(statuses))}")
    return latencies, elapsed


async def _via_httpx(app: Asgi, count: int) -> tuple[list[float], float]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://mock", headers=headers) as client:
        latencies = []
        start = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            response = await client.post("/payments", content=BODY)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise SystemExit(f"unexpected status {response.status_code}: {response.text[:200]}")
        return latencies, time.perf_counter() - start


async def _loopback(host: str, port: int, count: int, clients: int) -> tuple[list[float], float]:
    request = (
        f"POST /payments HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    latencies: list[float] = []
    remaining = [count]

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                t0 = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    raise SystemExit(f"unexpected status {status} over loopback")
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - start


def _serve_baseline() -> None:
    """Serve the baseline app like the mock command does (uvicorn, h11, loopback, a free port)."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(f"baseline listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        _baseline_app, http="h11", lifespan="off", access_log=False, log_level="warning", log_config=None
    )
    uvicorn.Server(config).run(sockets=[sock])


def _start_server(baseline: bool) -> tuple[subprocess.Popen[str], str, int]:
    if baseline:
        argv = [sys.executable, os.path.abspath(__file__), "--serve-baseline"]
    else:
        argv = [
            sys.executable,
            "-m",
            "dodo_contract.frontends.cli",
            "mock",
            "--port",
            "0",
            "--api-key",
            KEY,
            "--seed",
            "1",
        ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    address = line.strip().rsplit("http://", 1)[1]
    host, port = address.rsplit(":", 1)
    return proc, host, int(port)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        _serve_baseline()
        return
    mock = create_app(api_key=KEY, seed=1)
    results: dict[str, dict[str, float]] = {}
    print(f"{args.requests} valid requests each; {args.clients} concurrent connections over loopback")
    print("in-process:")
    for label, app in (("baseline (bare ASGI app), direct", _baseline_app), ("mock, direct ASGI call", mock)):
        asyncio.run(_direct(app, 200))  # warm-up
        results[label] = _summary(label, *asyncio.run(_direct(app, args.requests)))
    for label, app in (("baseline, httpx.ASGITransport", _baseline_app), ("mock, httpx.ASGITransport", mock)):
        asyncio.run(_via_httpx(app, 200))
        results[label] = _summary(label, *asyncio.run(_via_httpx(app, args.requests)))
    print("loopback HTTP (server in its own process, uvicorn h11):")
    for label, baseline in (("baseline (bare ASGI app)", True), ("mock", False)):
        proc, host, port = _start_server(baseline)
        try:
            asyncio.run(_loopback(host, port, 200, args.clients))
            results[label] = _summary(label, *asyncio.run(_loopback(host, port, args.requests, args.clients)))
        finally:
            _stop(proc)
    print("ratios (mock / baseline, same run):")
    for mine, base in (
        ("mock, httpx.ASGITransport", "baseline, httpx.ASGITransport"),
        ("mock", "baseline (bare ASGI app)"),
    ):
        print(f"  {mine:<38} {results[mine]['rps'] / results[base]['rps']:.2f}x the baseline's req/s")
    loop = results["mock"]
    print(
        f"targets: loopback >= 2,000 req/s with p99 < 10 ms -> {loop['rps']:,.0f} req/s, p99 {loop['p99_ms']:.2f} ms;"
        f" in-process >= 5,000 req/s -> {results['mock, direct ASGI call']['rps']:,.0f} req/s direct,"
        f" {results['mock, httpx.ASGITransport']['rps']:,.0f} req/s via httpx"
    )


if __name__ == "__main__":
    main()

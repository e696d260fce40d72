"""A loopback HTTP server whose every answer a test decides: proxy, reply, hang, reset mid-body, drop.

Used by the front-end tests (reliability, secrets, plugin under xdist) to put faults in front of the reference
mock. Always used as a context manager: the server is stopped (and hanging handlers released) on exit.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpcore  # noqa: F401
import httpx

# httpx imports httpcore lazily, on its first client. pytester drops every module first imported during a test
# that uses it; if that is httpcore, httpx's exception map keeps the dropped copy and a later ConnectError slips
# through unmapped. Importing it here, at collection time, keeps one copy for the whole session.


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


PROXY = "proxy"  # forward to the upstream and return its answer
HANG = "hang"  # never answer (until the server stops)
RESET = "reset"  # send headers and half the body, then reset the connection
DROP = "drop"  # close the connection without answering

Action = Reply | str
Behaviour = Callable[[int, dict[str, str], bytes], Action]


@dataclass
class FaultServer:
    url: str
    upstream: str | None
    requests: int = 0
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@contextmanager
def fault_server(
    behaviour: Behaviour,
    *,
    upstream: str | None = None,
    signal_after: int = 1,
    rewrite: Callable[[bytes, dict[str, str]], tuple[bytes, dict[str, str]]] | None = None,
) -> Iterator[FaultServer]:
    """Serve on 127.0.0.1 (free port); ``behaviour(n, headers, body)`` picks the action for request ``n`` (1-based).

    ``state.reached`` is set once ``signal_after`` requests arrived; ``rewrite`` may change proxied answers.
    """
    lock = threading.Lock()
    client = httpx.Client(timeout=30.0, trust_env=False)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK adds ~40 ms to each.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle(self) -> None:
            # A client that gave up (a concurrent run discards what it sent after stopping) is not an error here.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle()

        def do_POST(self) -> None:  # any other method gets 501 from the base class, which no test expects
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = dict(self.headers.items())
            with lock:
                state.requests += 1
                n = state.requests
                state.bodies.append(body)
                state.headers.append(headers)
            if n >= signal_after:
                state.reached.set()
            action = behaviour(n, headers, body)
            if action == PROXY:
                assert upstream is not None
                fwd = {k: v for k, v in headers.items() if k.lower() in ("authorization", "content-type", "accept")}
                answer = client.post(upstream + self.path, content=body, headers=fwd)
                out_body, out_headers = answer.content, {"Content-Type": answer.headers.get("content-type", "")}
                if rewrite is not None:
                    out_body, out_headers = rewrite(out_body, {**out_headers, "_status": str(answer.status_code)})
                status = int(out_headers.pop("_status", answer.status_code))
                action = Reply(status, out_body, out_headers)
            if action == HANG:
                state.release.wait(60)
                self.close_connection = True
                return
            if action == DROP:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if action == RESET:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "4000")
                self.end_headers()
                self.wfile.write(b'{"payment_id": "pay_')
                self.wfile.flush()
                # SO_LINGER 0 makes close() send RST instead of FIN: a reset mid-body.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            assert isinstance(action, Reply)
            self.send_response(action.status)
            for key, value in action.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(action.body)))
            self.end_headers()
            self.wfile.write(action.body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    state = FaultServer(url=f"http://{host}:{port}", upstream=upstream)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
        client.close()


def free_port() -> int:
    """Return a loopback port nobody listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port

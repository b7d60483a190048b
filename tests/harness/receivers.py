"""Webhook receivers on 127.0.0.1 for the push tests: real HTTP servers in threads.

Paths choose the behaviour: ``/ok/...`` answers 200; ``/flaky/...`` answers 500 to the first two
requests of each webhook-id, then 200; ``/hang/...`` never answers (until the server stops);
``/gone/...`` answers 410; ``/slow/...`` answers 200 after 0.3 s; ``/big/...`` answers 200 with a
1 MiB body; ``/redirect/...`` answers 302 to a metadata address. A path holding ``/websub/`` is a
WebSub subscriber: it echoes ``hub.challenge`` to verification GETs unless the path holds
``refuse``, and answers distributions as above (``/flaky/websub/...`` fails twice, then takes them).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.harness.waiting import wait_until

BIG_ANSWER_BYTES = 1 << 20


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when the request was read
    peer_port: int  # the client's port: requests with the same one came over one kept-alive connection

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Receivers:
    port: int
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: Counter[str] = field(default_factory=Counter)
    stopping: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self, prefix: str = "/", method: str | None = None) -> list[Received]:
        with self.lock:
            return [
                r
                for r in self.received
                if r.path.startswith(prefix) and (method is None or r.method == method)
            ]

    def wait_for(
        self, check: Callable[[], bool], timeout: float = 30.0, what: str = "the expected requests"
    ) -> None:
        try:
            wait_until(check, what, timeout=timeout)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; the receivers got {len(self.received)} requests") from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _record(self) -> Received:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        received = Received(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            at=time.time(),
            peer_port=int(self.client_address[1]),
        )
        receivers = self.server.receivers
        with receivers.lock:
            receivers.received.append(received)
        return received

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        received = self._record()
        if "/websub/" in received.path and "refuse" not in received.path:
            challenge = received.query.get("hub.challenge", [""])[0]
            self._answer(200, challenge.encode())
        else:
            self._answer(404, b"not found")

    def do_POST(self) -> None:
        received = self._record()
        path = received.path
        receivers = self.server.receivers
        if path.startswith("/flaky/"):
            with receivers.lock:
                receivers.attempts[received.webhook_id or path] += 1
                count = receivers.attempts[received.webhook_id or path]
            self._answer(500 if count <= 2 else 200, b"try again" if count <= 2 else b"ok")
        elif path.startswith("/hang/"):
            receivers.stopping.wait(60)
        elif path.startswith("/slow/"):
            time.sleep(0.3)
            self._answer(200, b"ok")
        elif path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("content-length", "0")
            self.end_headers()
        elif path.startswith("/big/"):
            self.send_response(200)
            self.send_header("content-length", str(BIG_ANSWER_BYTES))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client stops reading early and hangs up
                for _ in range(BIG_ANSWER_BYTES // 65536):
                    self.wfile.write(b"x" * 65536)
        elif path.startswith("/gone/"):
            self._answer(410, b"gone")
        else:
            self._answer(200, b"ok")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a sender opening a dozen connections at once
    # would see some of them dropped and retried a second later, like no real server.
    request_queue_size = 128
    receivers: Receivers


@contextmanager
def running_receivers() -> Iterator[Receivers]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receivers = Receivers(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="receivers", daemon=True)
    thread.start()
    try:
        yield server.receivers
    finally:
        server.receivers.stopping.set()
        server.shutdown()
        server.server_close()

"""A real HTTP receiver on loopback for the webhook tests: it records each request and
answers with the statuses a test plans (200 when none is planned), or hangs until told."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """`url`, `requests`, `answers` (statuses to give, in order) and `hang` (an Event: while
    it is set, each request waits up to `hang_seconds` before it is answered)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.answers: deque[int] = deque()
        self.hang = threading.Event()
        self.hang_seconds = 5.0
        self.release = threading.Event()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.requests.append(Received(
                    self.path, {name.lower(): value for name, value in self.headers.items()},
                    body))
                receiver.arrived.set()
                if receiver.hang.is_set():
                    receiver.release.wait(receiver.hang_seconds)
                status = receiver.answers.popleft() if receiver.answers else 200
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def verify(secret: str, request: Received) -> bool:
    """An independent check of a Standard Webhooks signature, as a receiver does it."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = b".".join([request.headers["webhook-id"].encode(),
                        request.headers["webhook-timestamp"].encode(), request.body])
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", given)
               for given in request.headers["webhook-signature"].split())

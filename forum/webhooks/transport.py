"""One POST to a checked address (addresses.Target): connect to the IP that was checked,
say the host's name (Host header, TLS server name), never follow a redirect, and read
no more of the answer than its status line and headers."""

from __future__ import annotations

import http.client
import socket
import ssl

from forum.webhooks.addresses import Target

MAX_ANSWER_BYTES = 64 * 1024  # of the body, read so the connection ends cleanly


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=read_timeout)
        self.address, self.connect_timeout = target.address, connect_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.connect_timeout)
        self.sock.settimeout(self.timeout)


class _PinnedHTTPS(_PinnedHTTP):
    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, connect_timeout: float,
         read_timeout: float) -> int:
    """POST `body` to `target`; the answer's status code. Raises OSError (refused, timed
    out, TLS) or http.client.HTTPException (not HTTP)."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target, connect_timeout, read_timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read(MAX_ANSWER_BYTES)
        return answer.status
    finally:
        connection.close()

"""A real SMTP server on loopback (aiosmtpd) for the mail tests: what it received, and
ways to misbehave like real servers do (refuse, stall, require STARTTLS and a login)."""

from __future__ import annotations

import asyncio
import email
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    """The server's behaviour and what it accepted."""

    messages: list[EmailMessage] = field(default_factory=list)
    # address -> the reply to RCPT TO, e.g. "550 5.1.1 No such user" or "451 Try later"
    refuse: dict[str, str] = field(default_factory=dict)
    stall: dict[str, float] = field(default_factory=dict)  # address -> seconds, once
    stalling: set[str] = field(default_factory=set)  # the addresses it hangs on now
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.stall:
            self.stalling.add(address)
            await asyncio.sleep(self.stall.pop(address))
            self.stalling.discard(address)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for message in self.messages if message["To"] == address]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} mails, the server has {len(self.messages)}")


class SmtpServer:
    """aiosmtpd in a thread of its own, on a free loopback port."""

    def __init__(self, *, tls_directory: Path | None = None, login: tuple[str, str] | None = None
                 ) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.ca_file: str | None = None
        options: dict[str, Any] = {}
        if tls_directory is not None:
            authority = trustme.CA()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            authority.issue_cert("127.0.0.1").configure_cert(context)
            self.ca_file = str(tls_directory / "ca.pem")
            authority.cert_pem.write_to_path(self.ca_file)
            options.update(tls_context=context, require_starttls=True)
        if login is not None:
            options.update(authenticator=_Authenticator(*login), auth_require_tls=True)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                     ready_timeout=10, **options)

    def url(self, credentials: str = "") -> str:
        return f"smtp://{credentials + '@' if credentials else ''}127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class _Authenticator:
    username: str
    password: str

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        good = isinstance(auth_data, LoginPassword) and \
            auth_data.login.decode() == self.username and \
            auth_data.password.decode() == self.password
        return AuthResult(success=good, handled=False)


def links(message: EmailMessage) -> list[str]:
    """Every http(s) link in a mail's plain-text part."""
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return re.findall(r"https?://\S+", text)


def path_of(link: str, base: str = "http://localhost") -> str:
    assert link.startswith(base), link
    return link[len(base):]


Starter = Callable[..., SmtpServer]

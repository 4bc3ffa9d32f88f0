"""Where mail goes: an SMTP server (MAIL_URL), or `.eml` files in development.

MAIL_URL is `smtp://[user:password@]host[:port]` (STARTTLS whenever the server offers
it, and required before any password is sent) or `smtps://...` (TLS from the first
byte, port 465 by default). Without MAIL_URL, each mail is written to MAIL_DIRECTORY
(instance/mail/) as a file any mail program opens.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask

TIMEOUT = 30.0  # seconds for each step of the SMTP conversation


class TemporaryFailure(Exception):
    """The mail may go later: the server is down, slow, busy or refused for now."""


class Deferred(TemporaryFailure):
    """The server put off this one address ("451 try later"): other mail may still go."""


class PermanentFailure(Exception):
    """This mail will never go as it is."""


class Bounced(PermanentFailure):
    """The server refused the address itself, for good."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class DirectoryTransport:
    """Development: each mail is a `.eml` file named by its time and Message-ID."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        mail = message["Message-ID"].strip("<>").split("@")[0].rsplit(".", 1)[-1]
        kind = message.get("X-Cocreate-Kind", "mail")
        path = self.directory / f"{time.strftime('%Y%m%d-%H%M%S')}-{mail}-{kind}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(bytes(message))
        temporary.replace(path)  # whole files only, even if the worker dies mid-write

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP connection, opened at the first mail and kept for the batch."""

    def __init__(self, url: str, ca_file: str | None = None, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"MAIL_URL must look like smtp://user:password@host:587, "
                             f"not {parts.scheme}://...")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.context = ssl.create_default_context(cafile=ca_file)
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        connection: smtplib.SMTP | None = None
        try:
            if self.implicit_tls:
                connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                              context=self.context)
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            connection.ehlo()
            if not self.implicit_tls and connection.has_extn("starttls"):
                connection.starttls(context=self.context)
                connection.ehlo()
            elif not self.implicit_tls and self.username:
                raise TemporaryFailure(f"{self.host} offers no STARTTLS: the mail password "
                                       "is never sent in the clear")
            if self.username:
                connection.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as error:
            _close(connection)
            raise TemporaryFailure(f"{self.host} refused the login: {_said(error)}") from None
        except (OSError, smtplib.SMTPException) as error:
            _close(connection)
            raise TemporaryFailure(f"could not reach {self.host}:{self.port}: "
                                   f"{_said(error)}") from None
        except TemporaryFailure:
            _close(connection)
            raise
        return connection

    def send(self, message: EmailMessage) -> None:
        if self._connection is None:
            self._connection = self._connect()
        try:
            self._connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, said = next(iter(error.recipients.values()))
            self._forget_connection()
            if 500 <= code < 600:
                raise Bounced(f"{code} {said.decode(errors='replace')}") from None
            raise Deferred(f"{code} {said.decode(errors='replace')}") from None
        except smtplib.SMTPResponseException as error:
            self._forget_connection()
            if 500 <= error.smtp_code < 600 and isinstance(error, smtplib.SMTPDataError):
                raise PermanentFailure(_said(error)) from None
            raise TemporaryFailure(_said(error)) from None
        except (OSError, smtplib.SMTPException) as error:
            self._forget_connection()
            raise TemporaryFailure(f"{self.host}: {_said(error)}") from None

    def _forget_connection(self) -> None:
        connection, self._connection = self._connection, None
        _close(connection)

    def close(self) -> None:
        self._forget_connection()


def _close(connection: smtplib.SMTP | None) -> None:
    """Say goodbye if the server still listens; close the socket in any case."""
    if connection is None:
        return
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        connection.close()


def _said(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{error.smtp_code} {text}"
    return str(error) or type(error).__name__


def open_transport(app: Flask) -> Transport:
    url = app.config.get("MAIL_URL") or ""
    if not url:
        return DirectoryTransport(Path(app.config["MAIL_DIRECTORY"]))
    return SmtpTransport(url, app.config.get("MAIL_CA_FILE") or None,
                         app.config["MAIL_TIMEOUT"])

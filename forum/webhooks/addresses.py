"""Where a webhook may point: no server-side request forgery.

A URL is http or https, carries no credentials, and its host resolves only to public
addresses: loopback, private, link-local, shared, multicast, reserved and unspecified
ones are refused (unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES, for development and tests).
The host is resolved when the endpoint is saved and again before each attempt, and the
connection goes to the address that was checked (so a DNS answer that changes in
between cannot point it inside), and redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from forum.errors import Invalid

MAX_URL = 2000


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str  # with its query
    address: str  # the checked IP address the connection goes to


def check_url(url: str | None, *, allow_private: bool) -> str:
    """The URL as it will be saved, or Invalid saying what is wrong with it."""
    url = (url or "").strip()
    target(url, allow_private=allow_private)
    return url


def target(url: str, *, allow_private: bool) -> Target:
    """Resolve and check `url` now (see the module's doc)."""
    if not url:
        raise Invalid("Give the address the events go to.", field="url")
    if len(url) > MAX_URL:
        raise Invalid(f"Addresses are at most {MAX_URL:,} characters.", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Invalid("This is not a web address.", field="url") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Invalid("Give an http:// or https:// address.", field="url")
    if parts.username is not None or parts.password is not None:
        raise Invalid("Leave any user name and password out of the address.", field="url")
    host = parts.hostname
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Invalid(f"No server answers to the name {host}.", field="url") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not allow_private and (inside := next(
            (address for address in addresses if not is_public(address)), None)):
        raise Invalid(f"{host} is a private or local address ({inside}): webhooks go to "
                      "public servers only.", field="url")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


def is_public(address: str) -> bool:
    """May a webhook connect to this IP address?"""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local
                                 or ip.is_multicast or ip.is_reserved or ip.is_unspecified)

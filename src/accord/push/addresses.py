"""Where deliveries may go: URL rules, and the address check against SSRF.

A target URL is checked when it is registered, and the address of every connection a delivery
opens is checked again when it is opened, because DNS can change between the two. The check runs
inside the HTTP client's connector (``accord.push.sender``): its resolver hands out only addresses
that pass, and the socket it connects is refused unless its address passes too, so the address
checked is the address connected to. Connections are then kept alive and reused for that host;
redirects are never followed. Refused always: multicast, unspecified, reserved, link-local
(169.254.0.0/16, fe80::/10) and cloud metadata addresses. Refused unless
``ACCORD_WEBHOOK_ALLOW_PRIVATE`` is true: loopback, private (RFC 1918, fc00::/7) and shared
(100.64.0.0/10) addresses. In production only https URLs are taken.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2048
# Cloud instance metadata services (AWS, GCP and Azure share 169.254.169.254; AWS's IPv6 one; Azure's
# wire server; Alibaba Cloud's).
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "168.63.129.16", "100.100.100.200")
)
SHARED = ipaddress.ip_network("100.64.0.0/10")


class UnsafeURL(ValueError):
    """A URL deliveries may not go to; the message says why, for the person who gave it."""


class RefusedAddress(OSError):
    """Raised inside the HTTP client when a host resolves to, or a socket would connect to, an
    address deliveries may not reach (an OSError, so the client reports it as a failed connection)."""


def parse_url(url: str, *, production: bool) -> URL:
    """The URL if its form is acceptable (no address lookup yet)."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"is longer than {MAX_URL_LENGTH} characters")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise UnsafeURL("must not contain spaces or control characters")
    try:
        parsed = URL(url)
        parsed.port  # noqa: B018  (an out-of-range port raises here)
    except (ValueError, TypeError, UnicodeError):
        raise UnsafeURL("is not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURL("must be an http:// or https:// URL")
    if production and parsed.scheme != "https":
        raise UnsafeURL("must use https:// (plain http is allowed in development only)")
    if not parsed.raw_host:
        raise UnsafeURL("has no host")
    if parsed.user is not None or parsed.password is not None:
        raise UnsafeURL("must not carry a user name or password")
    if parsed.fragment:
        raise UnsafeURL("must not have a #fragment")
    return parsed


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why deliveries may not go to this address (None: they may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_unspecified or address.is_multicast or address.is_link_local:
        return "a multicast, unspecified or link-local address"
    if address.is_loopback:
        return None if allow_private else "a loopback address"
    shared = isinstance(address, ipaddress.IPv4Address) and address in SHARED
    if address.is_private or shared:
        return None if allow_private else "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def address_of(text: str) -> IPAddress:
    """An address as getaddrinfo or a socket address gives it (an IPv6 zone, ``%eth0``, dropped)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def check_addresses(addresses: Iterable[IPAddress], *, allow_private: bool) -> None:
    """Every address a host has must pass: one bad one refuses the host, since a client could be
    given any of them. Raises UnsafeURL (``resolves to ...``)."""
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason is not None:
            raise UnsafeURL(f"resolves to {address}, {reason}")


async def lookup(host: str, port: int) -> list[IPAddress]:
    """The addresses of a host name or literal (``raw_host``: IDNA-encoded)."""
    try:
        return [address_of(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"host {host!r} does not resolve ({exc})") from None
    addresses = list(dict.fromkeys(address_of(str(info[4][0])) for info in infos))
    if not addresses:
        raise UnsafeURL(f"host {host!r} does not resolve")
    return addresses


async def check_url(url: str, *, production: bool, allow_private: bool) -> URL:
    """The registration check: the URL's form, then every address its host has."""
    parsed = parse_url(url, production=production)
    assert parsed.raw_host is not None and parsed.port is not None
    check_addresses(await lookup(parsed.raw_host, parsed.port), allow_private=allow_private)
    return parsed

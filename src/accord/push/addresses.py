"""Where deliveries may go: URL rules, and the address check against SSRF.

A target URL is checked when it is registered and again before every request, because DNS can
change between the two. The request then goes to the very address that was checked (the URL's host
name is kept for the Host header and TLS), so a second lookup cannot swap it; redirects are never
followed. Refused always: multicast, unspecified, reserved, link-local (169.254.0.0/16, fe80::/10)
and cloud metadata addresses. Refused unless ``ACCORD_WEBHOOK_ALLOW_PRIVATE`` is true: loopback,
private (RFC 1918, fc00::/7) and shared (100.64.0.0/10) addresses. In production only https URLs
are taken.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2048
# Cloud instance metadata services (AWS, GCP and Azure share 169.254.169.254; AWS's IPv6 one; Azure's
# wire server; Alibaba Cloud's).
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "168.63.129.16", "100.100.100.200")
)


class UnsafeURL(ValueError):
    """A URL deliveries may not go to; the message says why, for the person who gave it."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL and the address to connect to."""

    url: httpx.URL
    address: IPAddress

    @property
    def connect_url(self) -> httpx.URL:
        return self.url.copy_with(host=str(self.address))

    @property
    def host_header(self) -> str:
        host = self.url.raw_host.decode("ascii")
        if self.url.port is not None:
            return f"{host}:{self.url.port}"
        return host


def parse_url(url: str, *, production: bool) -> httpx.URL:
    """The URL if its form is acceptable (no address lookup yet)."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"is longer than {MAX_URL_LENGTH} characters")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise UnsafeURL("must not contain spaces or control characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise UnsafeURL("is not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise UnsafeURL("must be an http:// or https:// URL")
    if production and parsed.scheme != "https":
        raise UnsafeURL("must use https:// (plain http is allowed in development only)")
    if not parsed.host:
        raise UnsafeURL("has no host")
    if parsed.userinfo:
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
    shared = isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10")
    if address.is_private or shared:
        return None if allow_private else "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


async def resolve(url: httpx.URL, *, allow_private: bool) -> Target:
    """Look the host up and check every address it has (one bad one refuses the URL: the client
    could be given any of them)."""
    host = url.host
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                url.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM
            )
        except (OSError, UnicodeError) as exc:
            raise UnsafeURL(f"host {host!r} does not resolve ({exc})") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if not addresses:
            raise UnsafeURL(f"host {host!r} does not resolve")
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason is not None:
            raise UnsafeURL(f"resolves to {address}, {reason}")
    return Target(url, addresses[0])


async def check_url(url: str, *, production: bool, allow_private: bool) -> Target:
    return await resolve(parse_url(url, production=production), allow_private=allow_private)

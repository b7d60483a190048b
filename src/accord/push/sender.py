"""HTTP requests to delivery targets: pooled keep-alive connections whose addresses are checked when
they are opened, a total time limit, redirects not followed, and at most ``MAX_ANSWER_BYTES`` of
the answer read.

One aiohttp session serves every delivery of a process. Its connector keeps connections alive per
host and reuses them (a delivery to a host that was just called costs no new TCP or TLS handshake
and no DNS lookup), and it is where the SSRF rule of ``accord.push.addresses`` is enforced: the
resolver returns a host's addresses only when every one of them passes, and the socket factory
refuses to create a socket for an address that does not, whatever path the address came by (a
literal IP in the URL skips the resolver, not the socket factory). So the address checked is the
address connected to, on every new connection.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.connector import AddrInfoType, SocketFactoryType
from aiohttp.resolver import ThreadedResolver

from accord.push.addresses import (
    RefusedAddress,
    UnsafeURL,
    address_of,
    check_addresses,
    parse_url,
    refusal,
)

MAX_ANSWER_BYTES = 4096
USER_AGENT = "accord-push/1 (+https://github.com/standard-webhooks/standard-webhooks)"
ERROR_LENGTH = 500
# Receivers close idle connections after a while (Node's http server after 5 s, uvicorn after 5 s):
# a connection reused just as the receiver closes it fails the delivery (retried later), so idle
# connections are dropped a little before that.
KEEPALIVE_SECONDS = 4.0
# Resolved (and checked) addresses are reused this long before the host is looked up again.
DNS_CACHE_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: a status code and the start of the body, or why nothing did."""

    status_code: int | None
    text: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410

    def describe(self) -> str:
        if self.error is not None:
            return self.error[:ERROR_LENGTH]
        shown = " ".join(self.text.split())[:200]
        return f"HTTP {self.status_code}" + (f": {shown}" if shown else "")


class CheckedResolver(AbstractResolver):
    """The system resolver, returning a host's addresses only when every one of them is allowed."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._system = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._system.resolve(host, port, family)
        try:
            check_addresses((address_of(r["host"]) for r in found), allow_private=self.allow_private)
        except UnsafeURL as exc:
            raise RefusedAddress(f"the URL {exc}") from None
        return found

    async def close(self) -> None:
        await self._system.close()


def checked_socket_factory(*, allow_private: bool) -> SocketFactoryType:
    """Creates the socket for one connection attempt, after checking the address it will connect to."""

    def create(addr_info: AddrInfoType) -> socket.socket:
        family, kind, proto, _name, sockaddr = addr_info
        address = address_of(str(sockaddr[0]))
        reason = refusal(address, allow_private=allow_private)
        if reason is not None:
            raise RefusedAddress(f"the URL resolves to {address}, {reason}")
        return socket.socket(family=family, type=kind, proto=proto)

    return create


def _refusal_in(error: BaseException) -> RefusedAddress | None:
    """The address refusal behind a connection error, if that is what it was."""
    seen: BaseException | None = error
    for _ in range(8):  # the client wraps errors a few levels deep
        if seen is None:
            return None
        if isinstance(seen, RefusedAddress):
            return seen
        os_error = getattr(seen, "os_error", None)
        seen = os_error if isinstance(os_error, BaseException) else (seen.__cause__ or seen.__context__)
    return None


class Sender:
    def __init__(
        self, *, timeout: float, production: bool, allow_private: bool, connections: int = 100
    ) -> None:
        self.timeout = timeout
        self.production = production
        self.allow_private = allow_private
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None  # made on first use, inside the event loop

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.connections,
                resolver=CheckedResolver(allow_private=self.allow_private),
                socket_factory=checked_socket_factory(allow_private=self.allow_private),
                ttl_dns_cache=DNS_CACHE_SECONDS,
                keepalive_timeout=KEEPALIVE_SECONDS,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Never the environment's proxies or .netrc: a proxy would make the address check
                # meaningless.
                trust_env=False,
                # Receivers' cookies are not kept from one delivery to the next.
                cookie_jar=aiohttp.DummyCookieJar(),
                # Answers are read raw and capped: ask for them uncompressed (no decompression bombs).
                auto_decompress=False,
                headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        time_limit: float | None = None,
    ) -> Answer:
        """One request; ``time_limit`` (at most the sender's timeout) bounds it instead."""
        limit = self.timeout if time_limit is None else min(time_limit, self.timeout)
        try:
            target = parse_url(url, production=self.production)
        except UnsafeURL as exc:
            return Answer(None, error=f"refused: the URL {exc}")
        if params:
            target = target.update_query(dict(params))
        try:
            async with asyncio.timeout(limit):
                async with self._client().request(
                    method, target, data=body, headers=headers, allow_redirects=False
                ) as response:
                    text = await _read_capped(response)
        except TimeoutError:
            return Answer(None, error=f"no answer within {limit:g}s")
        except (aiohttp.ClientError, OSError) as exc:
            refused = _refusal_in(exc)
            if refused is not None:
                return Answer(None, error=f"refused: {refused}")
            return Answer(None, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
        return Answer(response.status, text)


async def _read_capped(response: aiohttp.ClientResponse) -> str:
    """At most MAX_ANSWER_BYTES of the body; a connection whose answer is not read to its end is
    closed rather than reused."""
    kept = bytearray()
    while len(kept) < MAX_ANSWER_BYTES:
        chunk = await response.content.read(MAX_ANSWER_BYTES - len(kept))
        if not chunk:
            break
        kept += chunk
    return kept.decode("utf-8", errors="replace")

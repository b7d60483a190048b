"""One HTTP request to a delivery target: address checked first, a total time limit, redirects not
followed, and at most ``MAX_ANSWER_BYTES`` of the answer read."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from accord.push.addresses import UnsafeURL, parse_url, resolve

MAX_ANSWER_BYTES = 4096
USER_AGENT = "accord-push/1 (+https://github.com/standard-webhooks/standard-webhooks)"
ERROR_LENGTH = 500


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


class Sender:
    def __init__(
        self, *, timeout: float, production: bool, allow_private: bool, connections: int = 100
    ) -> None:
        self.timeout = timeout
        self.production = production
        self.allow_private = allow_private
        # Never the environment's proxies: a proxy would make the address check meaningless.
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            # Answers are read raw and capped: ask for them uncompressed (no decompression bombs).
            headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        try:
            target = await resolve(
                parse_url(url, production=self.production), allow_private=self.allow_private
            )
        except UnsafeURL as exc:
            return Answer(None, error=f"refused: the URL {exc}")
        all_headers = {"host": target.host_header, **(headers or {})}
        connect_url = target.connect_url
        if params:
            connect_url = connect_url.copy_merge_params(dict(params))
        extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
        request = self.client.build_request(
            method, connect_url, content=body, headers=all_headers, extensions=extensions
        )
        try:
            async with asyncio.timeout(self.timeout):
                response = await self.client.send(request, stream=True)
                try:
                    text = await _read_capped(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            return Answer(None, error=f"no answer within {self.timeout:g}s")
        except httpx.HTTPError as exc:
            return Answer(None, error=f"{type(exc).__name__}: {exc}".rstrip(": "))
        return Answer(response.status_code, text)


async def _read_capped(response: httpx.Response) -> str:
    kept = bytearray()
    async for chunk in response.aiter_raw():
        kept += chunk[: MAX_ANSWER_BYTES - len(kept)]
        if len(kept) >= MAX_ANSWER_BYTES:
            break
    return kept.decode("utf-8", errors="replace")

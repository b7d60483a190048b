"""Preview links: a signed value that opens one piece of content, unpublished, until it expires.

The value is ``<global id>.<expiry, Unix seconds>.<HMAC-SHA256>``: the id and the expiry are in
the clear (they are no secret) and bound by the signature, so a value opens exactly the item it
was made for, until its time, and only while the secret that signed it is the server's. It is
checked only by the page that shows previews (``/events/SLUG?preview=``): it is not a token and
opens nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncEngine

from accord.core.ids import to_global_id
from accord.core.secrets import PREVIEW, stored_secret

# What the MAC covers besides the value itself: a value made for something else never verifies.
PURPOSE = b"accord preview link 1\0"
# A global id, an expiry and a MAC; anything longer is refused before any work.
MAX_LENGTH = 200
VALUE = re.compile(r"([A-Za-z0-9_-]{1,60})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")


class PreviewRefused(ValueError):
    """A preview value that opens nothing: ``reason`` is ``malformed``, ``signature`` (forged,
    tampered with, or signed with a secret rotated since) or ``expired``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PreviewGrant:
    global_id: str
    expires: datetime


def _mac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), PURPOSE + message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: str, type_name: str, id_: int, expires: datetime) -> str:
    message = f"{to_global_id(type_name, id_)}.{int(expires.timestamp())}"
    return f"{message}.{_mac(secret, message)}"


def well_formed(value: str) -> bool:
    """Whether ``value`` could be a preview value at all: checked before the secret is read, so a
    flood of garbage costs no database work."""
    return len(value) <= MAX_LENGTH and VALUE.fullmatch(value) is not None


def verify(secret: str, value: str, *, now: datetime) -> PreviewGrant:
    """What ``value`` grants, or PreviewRefused. Linear in the value's length, which is bounded."""
    match = VALUE.fullmatch(value) if len(value) <= MAX_LENGTH else None
    if match is None:
        raise PreviewRefused("malformed")
    global_id, expiry, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(secret, f"{global_id}.{expiry}")):
        raise PreviewRefused("signature")
    try:
        expires = datetime.fromtimestamp(int(expiry), UTC)
    except (OverflowError, OSError, ValueError):  # past year 9999: never signed here
        raise PreviewRefused("malformed") from None
    if expires <= now:
        raise PreviewRefused("expired")
    return PreviewGrant(global_id, expires)


class PreviewSecret:
    """The secret that signs preview links: ``ACCORD_PREVIEW_SECRET`` when set, else the one kept in
    the database (read each time, so a rotation by any instance or by ``accord secret rotate``
    takes effect everywhere at once; a preview is rare enough for one indexed read)."""

    def __init__(self, engine: AsyncEngine, configured: str | None = None) -> None:
        self.engine = engine  # the primary
        self.configured = configured or None

    async def value(self) -> str:
        if self.configured is not None:
            return self.configured
        async with self.engine.begin() as conn:
            return await conn.run_sync(lambda sync: stored_secret(sync, PREVIEW))


@dataclass(frozen=True, slots=True)
class PreviewLink:
    url: str
    expires: datetime


@dataclass(frozen=True)
class PreviewLinks:
    """Makes preview links: the page's address (given by the layer that serves the page) with a
    value signed for one item."""

    secret: PreviewSecret
    page_url: Callable[[str], str]  # slug -> the absolute URL of the page that shows it

    async def link(
        self, type_name: str, id_: int, slug: str, lifetime: timedelta, now: datetime
    ) -> PreviewLink:
        return link_for(await self.secret.value(), self.page_url(slug), type_name, id_, lifetime, now)


def link_for(
    secret: str, page_url: str, type_name: str, id_: int, lifetime: timedelta, now: datetime
) -> PreviewLink:
    """The page's address with a value that opens it for ``lifetime`` from ``now``."""
    # Whole seconds: the value carries Unix seconds, and the reply says exactly when it ends.
    expires = (now + lifetime).replace(microsecond=0)
    value = sign(secret, type_name, id_, expires)
    return PreviewLink(f"{page_url}?{urlencode({'preview': value})}", expires)

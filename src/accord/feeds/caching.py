"""HTTP caching of feeds: a strong ETag over the body, Last-Modified, and 304 answers.

The ETag is computed from the bytes, which depend only on the content (never on the clock), so a
publish changes it on the very next request. Built feeds are kept until the content version moves
(accord.feeds.endpoints), so a conditional GET costs a lookup, not a rebuild.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.datastructures import Headers
from starlette.responses import Response

CACHE_CONTROL = "public, max-age=60"
# A request with a token may get another feed (drafts included): caches keep the two apart.
VARY = "Accept-Language, Authorization"
PRIVATE = "private, no-store"


def etag_of(body: bytes) -> str:
    """A strong validator: the quoted SHA-256 of the body bytes."""
    return f'"{hashlib.sha256(body).hexdigest()}"'


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): a ``W/`` prefix is ignored."""
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def is_not_modified(headers: Headers, etag: str, last_modified: datetime | None) -> bool:
    """If-None-Match decides when present; otherwise If-Modified-Since (RFC 9110 13.2.2)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, etag)
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # an unreadable date is ignored, as the RFC asks
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    # HTTP dates have whole seconds.
    return last_modified.replace(microsecond=0) <= since


def cached_response(
    headers: Headers, body: bytes, media_type: str, last_modified: datetime | None
) -> Response:
    """200 with the body, or 304 with no body; the validators and cache headers either way."""
    etag = etag_of(body)
    response_headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    if last_modified is not None:
        response_headers["Last-Modified"] = http_date(last_modified)
    if is_not_modified(headers, etag, last_modified):
        return Response(status_code=304, headers=response_headers)
    return Response(body, media_type=media_type, headers=response_headers)

"""Accept-header negotiation for GraphQL over HTTP."""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def media_ranges(accept: str) -> list[tuple[str, float]]:
    """(media range, q) pairs of an Accept header, in the order given (an unreadable q counts as 0)."""
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither JSON flavour.

    application/graphql-response+json when the client asks for it (it carries proper status codes);
    application/json for legacy clients, ``*/*`` and requests without an Accept header.
    """
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for position, (media, quality) in enumerate(media_ranges(accept)):
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE_JSON:
            candidate = GRAPHQL_RESPONSE_JSON
        elif media in (JSON, "application/*", "*/*"):
            candidate = JSON
        else:
            continue
        key = (-quality, position, candidate)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]


def wants_html(accept: str | None) -> bool:
    return bool(accept) and "text/html" in (accept or "")

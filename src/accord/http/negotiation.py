"""Accept-header negotiation for GraphQL over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
RESPONSE_TYPES = {
    GRAPHQL_RESPONSE_JSON: GRAPHQL_RESPONSE_JSON,
    JSON: JSON,
    "application/*": JSON,
    "*/*": JSON,
}
T = TypeVar("T")


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
    return preferred(accept, RESPONSE_TYPES, lambda position, _: position)


def preferred(accept: str, offers: Mapping[str, T], order: Callable[[int, T], int]) -> T | None:
    """The offer (by media range) the Accept header prefers: the highest q, then the lowest
    ``order(position in the header, offer)``; None when it names none of them (``q=0`` refuses)."""
    best: tuple[tuple[float, int], T] | None = None
    for position, (media, quality) in enumerate(media_ranges(accept)):
        offer = offers.get(media)
        if offer is not None and quality > 0:
            key = (-quality, order(position, offer))
            if best is None or key < best[0]:
                best = (key, offer)
    return None if best is None else best[1]

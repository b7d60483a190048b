"""Opaque global ids (Relay): base64url of ``Type:number``."""

from __future__ import annotations

import base64
import binascii

from accord.resolvers.errors import BadInput

TYPE_NAMES = ("Event", "Partner", "Agreement", "Exhibit", "Image")
# SQLite has no base64: compiled SQL (accord.fastpath.sql_json) calls this function for global ids.
SQLITE_GLOBAL_ID_FUNCTION = "accord_global_id"


def to_global_id(type_name: str, id_: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{id_}".encode()).decode().rstrip("=")


def from_global_id(global_id: str, *, field: str = "id") -> tuple[str, int]:
    """(type name, row id); a malformed id is the client's error, an unknown one is not."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, number = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        id_ = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadInput(f"{field}: {global_id!r} is not an accord id", field=field) from None
    if type_name not in TYPE_NAMES or id_ < 1 or id_ >= 2**31:
        raise BadInput(f"{field}: {global_id!r} is not an accord id", field=field)
    return type_name, id_


def expect_type(global_id: str, type_name: str, *, field: str = "id") -> int:
    actual, id_ = from_global_id(global_id, field=field)
    if actual != type_name:
        raise BadInput(
            f"{field}: expected the id of {_article(type_name)}, got one of {_article(actual)}", field=field
        )
    return id_


def _article(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "AEIOU" else f"a {type_name}"

"""Opaque global ids (Relay): base64url of ``Type:number``.

Each object has exactly one id. A string that decodes to the same object by another spelling
(``Event: 1``, ``Event:01``, ``Event:１``, base64 with other padding bits) names nothing: it is
answered like the id of content that does not exist, so clients and caches never see one object
under two keys.
"""

from __future__ import annotations

import base64
import binascii

from accord.core.errors import BadInput
from accord.core.numbers import parse_natural

TYPE_NAMES = ("Event", "Partner", "Agreement", "Exhibit", "Image")
# SQLite has no base64: compiled SQL (accord.fastpath.sql_json) calls this function for global ids.
SQLITE_GLOBAL_ID_FUNCTION = "accord_global_id"
# What a non-canonical spelling resolves to: no row has it (ids start at 1).
NO_ROW = 0


def to_global_id(type_name: str, id_: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{id_}".encode()).decode().rstrip("=")


def from_global_id(global_id: str, *, field: str = "id") -> tuple[str, int]:
    """(type name, row id); a malformed id is the client's error, an unknown one is not."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, number = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if type_name not in TYPE_NAMES or not number:
            raise ValueError(type_name)
    except (binascii.Error, UnicodeError, ValueError):
        raise BadInput(f"{field}: {global_id!r} is not an accord id", field=field) from None
    id_ = parse_natural(number)
    if id_ is None or to_global_id(type_name, id_) != global_id:
        return type_name, NO_ROW
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

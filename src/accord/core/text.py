"""Which characters text may hold: those XML 1.0 can carry.

XML 1.0 allows tab, line feed and carriage return, and no other C0 control character; it also
excludes U+FFFE, U+FFFF and the surrogate code points (which a Python ``str`` can hold alone, as
``json.loads('"\\ud800"')`` shows). lxml, and feedgen with it, raises on any of them, and
ElementTree writes them out unescaped, giving a document no parser accepts. One stored title with
a vertical tab pasted from a word processor would then break every RSS, Atom and OPML document it
appears in.

Content is therefore refused with such characters when it is written (``first_forbidden``, used by
the content records), and every XML renderer drops them anyway (``xml_safe``), so that text stored
before the rule existed cannot break a feed either.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar, cast

from accord.core.errors import BadInput

# The complement of XML 1.0's Char production within the Basic Multilingual Plane.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ALLOWED_CONTROLS = "tab, line feed and carriage return"

T = TypeVar("T")


def first_forbidden(text: str) -> int | None:
    """The index of the first character text may not hold, or None."""
    found = FORBIDDEN.search(text)
    return None if found is None else found.start()


def describe_forbidden(text: str, index: int) -> str:
    """'contains U+000B at position 7: ...', for a validation message."""
    code = ord(text[index])
    kind = "a surrogate code point" if 0xD800 <= code <= 0xDFFF else "a character XML cannot carry"
    if code < 0x20:
        kind = f"a control character (only {ALLOWED_CONTROLS} are allowed)"
    elif code in (0xFFFE, 0xFFFF):
        kind = "a noncharacter"
    return f"contains U+{code:04X} at position {index}, {kind}"


def check_argument(value: str, field: str) -> str:
    """A read's text argument (a slug, a tag, a search) before SQL sees it: stored text never holds
    these characters, and databases fail on some (PostgreSQL refuses NUL in text, FTS5's MATCH
    fails on it), so such an argument is the client's mistake, answered as one."""
    index = first_forbidden(value)
    if index is not None:
        raise BadInput(f"{field}: {describe_forbidden(value, index)}", field=field)
    return value


def xml_safe(text: str) -> str:
    """``text`` without the characters XML cannot carry (the same object when it has none)."""
    return text if FORBIDDEN.search(text) is None else FORBIDDEN.sub("", text)


def xml_safe_copy(value: T) -> T:
    """``value`` with every string in it passed through ``xml_safe``: strings, and dataclasses,
    lists, tuples and dicts holding them, to any depth. What is already safe is returned as is."""
    return cast(T, _safe(value))


def _safe(value: Any) -> Any:
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_safe(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_safe(item) for item in value)
    if isinstance(value, dict):
        return {_safe(key): _safe(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {field.name: _safe(getattr(value, field.name)) for field in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value

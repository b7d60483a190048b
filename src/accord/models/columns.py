"""Column types and defaults shared by every content table, and reading columns by name."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

SLUG_LENGTH = 120
TITLE_LENGTH = 300
KIND_LENGTH = 32
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def copy_into(dataclass: type[T], source: object, **computed: Any) -> T:
    """A dataclass (a strawberry type is one) whose fields are read from the attributes of the same
    name of ``source`` (a row, a view), except those ``computed``."""
    values = dict(computed)
    for item in fields(cast(Any, dataclass)):
        if item.init and item.name not in values:
            values[item.name] = getattr(source, item.name)
    return dataclass(**values)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones and hands back naive values; PostgreSQL's timestamptz does. Normalising
    here means the rest of the code only ever sees aware UTC datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

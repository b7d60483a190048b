"""The kinds of field a content type is made of, declared once in accord.content.model.

A field is data: its GraphQL name, the columns that hold it, its name in the document format, and
whether editors write it. Each layer renders the kinds its own way, in one place: the strawberry
types (accord.schema.types), the SQL that builds JSON (accord.fastpath.sql_json), the document
records and rows (here). Adding a field of an existing kind is one line of a declaration; adding a
kind is one class here and one rendering per layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table

from accord.core.dates import PartialDate, optional_date
from accord.core.row_types import ContentRow


def snake(name: str) -> str:
    """``shortName`` -> ``short_name``: how tables and the document format spell a GraphQL name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True, kw_only=True)
class Field:
    name: str  # the GraphQL name
    description: str | None = None
    # Editors write it, and the document format carries it; a field that only reads (the other
    # side of a link) has neither.
    written: bool = True
    record: str = ""  # its key in the document format (default: the name in snake_case)
    input_name: str = ""  # its name in the write inputs (default: the name; see subclasses)
    # The field's value in the GraphQL object type is computed (it takes arguments or reads
    # relations): strawberry lists such fields after the plain ones.
    computed: bool = False

    def __post_init__(self) -> None:
        if self.written:
            self._default("record", snake(self.name))
            self._default("input_name", self.default_input_name())
        if "column" in self.__dataclass_fields__:
            self._default("column", snake(self.name))

    def _default(self, attribute: str, value: Any) -> None:
        if not getattr(self, attribute):
            object.__setattr__(self, attribute, value)  # frozen: filled in once, at declaration

    def default_input_name(self) -> str:
        return self.name

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the content type's own table that hold the field."""
        return ()

    def to_row(self, value: Any) -> dict[str, Any]:
        """Column values for the record's value of this field (links are written apart)."""
        return {}

    def from_row(self, row: ContentRow) -> object:
        """The record's value of this field, from a row."""
        return None


@dataclass(frozen=True, kw_only=True)
class InColumn(Field):
    """A field held in one column of the row, as it is unless a subclass says otherwise."""

    column: str = ""  # default: the name in snake_case

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def to_row(self, value: Any) -> dict[str, Any]:
        return {self.column: value}

    def from_row(self, row: ContentRow) -> object:
        return getattr(row, self.column)


@dataclass(frozen=True, kw_only=True)
class Text(InColumn):
    """A plain string column (``String`` or ``String!``)."""

    nullable: bool = True
    max_length: int | None = None
    pattern: str | None = None
    search: tuple[str, ...] = ()  # the search bodies it is indexed in: "en", "zh"


@dataclass(frozen=True, kw_only=True)
class Flag(InColumn):
    """A boolean column."""

    default: bool = False

    def to_row(self, value: Any) -> dict[str, Any]:
        return {self.column: bool(value)}

    def from_row(self, row: ContentRow) -> object:
        return bool(getattr(row, self.column))


@dataclass(frozen=True, kw_only=True)
class Choice(InColumn):
    """A closed vocabulary, stored as its value's string."""

    enum: type[StrEnum]
    default: str = "OTHER"

    def to_row(self, value: Any) -> dict[str, Any]:
        return {self.column: self.enum(value).value}

    def from_row(self, row: ContentRow) -> object:
        return self.enum(getattr(row, self.column))


@dataclass(frozen=True, kw_only=True)
class Localized(Field):
    """Text in English and Traditional Chinese, with the English text as the fallback."""

    en: str = ""  # the columns: default RECORD_en and RECORD_zh
    zh: str = ""
    required: bool = False  # a title: the English text may not be blank
    computed: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        self._default("en", f"{self.record or snake(self.name)}_en")
        self._default("zh", f"{self.record or snake(self.name)}_zh")

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.en, self.zh)

    def to_row(self, value: Any) -> dict[str, Any]:
        return {self.en: value.en, self.zh: value.zh_tw}

    def from_row(self, row: ContentRow) -> object:
        return {"en": getattr(row, self.en), "zh_tw": getattr(row, self.zh)}


@dataclass(frozen=True, kw_only=True)
class Date(Field):
    """A partial date in three columns (year, month, day); ``period_end`` names the Date field that
    ends the period it starts, whose end its label shows ('2013 to 2015')."""

    prefix: str  # "" (year, month, day), "end_", "signed_"
    required: bool = False
    period_end: str | None = None
    # A column that orders the rows by this date (an integer: see accord.core.dates.sort_key).
    sort_column: str | None = None
    computed: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        return (f"{self.prefix}year", f"{self.prefix}month", f"{self.prefix}day")

    def to_row(self, value: Any) -> dict[str, Any]:
        year, month, day = self.columns
        if value is None:
            return {year: None, month: None, day: None}
        row = {year: value.year, month: value.month, day: value.day}
        if self.sort_column is not None:
            row[self.sort_column] = value.to_partial().sort_key
        return row

    def from_row(self, row: ContentRow) -> object:
        year, month, day = (getattr(row, column) for column in self.columns)
        return None if year is None else {"year": year, "month": month, "day": day}

    def value(self, row: ContentRow) -> PartialDate | None:
        return optional_date(*(getattr(row, column) for column in self.columns))


@dataclass(frozen=True, kw_only=True)
class Places(InColumn):
    """Place names in both languages, kept whole with the row (a JSON list of {en, zh_tw})."""

    column: str = "places"
    # Far above real content (the bundled timeline has at most 2 places on an event), far below
    # what a request body could otherwise carry. docs/editing.md lists it.
    max_items: int = 20
    computed: bool = True

    def to_row(self, value: Any) -> dict[str, Any]:
        return {self.column: [place.model_dump() for place in value]}

    def from_row(self, row: ContentRow) -> object:
        return list(getattr(row, self.column))


@dataclass(frozen=True, kw_only=True)
class Tags(Field):
    """Tags, in the editor's order, in their own table (they are filtered on)."""

    table: Table
    max_items: int = 20  # at most 4 on an event of the bundled timeline
    computed: bool = True


@dataclass(frozen=True, eq=False)  # hashed by identity: it keys statement caches
class Relation:
    """How rows of one type reach rows of another through a link table."""

    link: Table
    own_column: str
    target_column: str
    target: str  # the target content type's name
    # The order of the linked rows under one owner (before their id): a link-table column, or a
    # column of the target's table.
    order: ColumnElement[Any]


@dataclass(frozen=True, kw_only=True)
class Linked(Field):
    """A list of linked content through a link table. With ``input_name`` editors write it as a
    list of global ids, and the document format carries it as slugs under ``record``."""

    relation: Relation
    estimate: int  # how many items such a list holds in practice (the cost model)
    computed: bool = True

    @property
    def target(self) -> str:
        return self.relation.target

    def default_input_name(self) -> str:
        """``partners`` -> ``partnerIds``, ``parties`` -> ``partyIds``."""
        one = self.name[:-3] + "y" if self.name.endswith("ies") else self.name.removesuffix("s")
        return f"{one}Ids"


@dataclass(frozen=True, kw_only=True)
class Origin(Field):
    """One linked item held in a column of the row (an exhibit's origin partner)."""

    column: str
    target: str
    computed: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def default_input_name(self) -> str:
        return f"{self.name}Id"


@dataclass(frozen=True, kw_only=True)
class Images(Field):
    """Pictures shown on an item, in the editor's order, through a link table with positions
    (``link``: one row per item and image, ``own_column`` naming the item). accord.media keeps the
    images themselves. Editors write the list as Image ids (``imageIds``); the document format
    carries it as content hashes, and the images in its own ``images`` section."""

    link: Table
    own_column: str
    # Far above what a page shows, far below what a request could otherwise carry.
    max_items: int = 50
    estimate: int = 2  # how many images an item holds in practice (the cost model)
    computed: bool = True

    def default_input_name(self) -> str:
        return "imageIds"


@dataclass(frozen=True, kw_only=True)
class Listing(Field):
    """A paginated connection to another type's list, restricted to this item (a partner's events):
    it takes the target list's filter, order and forward pagination arguments."""

    relation: Relation
    written: bool = False
    computed: bool = True

    @property
    def target(self) -> str:
        return self.relation.target


@dataclass(frozen=True)
class FilterField:
    """One field of a list's filter input, and what it means in SQL (accord.read.filters)."""

    name: str
    kind: str  # see accord.read.filters.CONDITIONS
    description: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

"""The content document: what fixture files, ``accord export`` and ``accord import`` carry.

One YAML or JSON mapping with four lists (partners, agreements, exhibits, events); records link to
each other by slug. A fifth list, ``images``, carries the pictures exhibits and events show (their
bytes as base64, accord.media.records.ImageRecord); records name them by content hash. Validation
happens here, before anything touches the database, and every problem is reported with the record
and the field it is in.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.fields import FieldInfo

from accord.content import fields as kinds
from accord.content.model import CONTENT_TYPES, ContentType
from accord.core.dates import PartialDate, PartialDateError, check_period
from accord.core.text import FORBIDDEN, describe_forbidden, first_forbidden, xml_safe
from accord.media.records import ContentHash, ImageRecord
from accord.models.enums import Status

FORMAT_VERSION = 1
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
TAG_PATTERN = SLUG_PATTERN
SLUG_RE = re.compile(SLUG_PATTERN)

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=120)]
Tag = Annotated[str, Field(pattern=TAG_PATTERN, max_length=60)]
Title = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(max_length=20_000)]

STORED: dict[str, Any] = {"stored": True}
"""Validation context for records read back from the database (``accord.content.rows``): rows
written before a rule existed must stay readable, so the rules added since are relaxed there (text
is cleaned instead of refused, list limits are not applied). Everything written is validated
without it."""


def is_stored(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get("stored"))


def checked_text(value: Any, *, stored: bool) -> Any:
    """Strings (alone or in a list) must hold only characters XML can carry (``accord.core.text``);
    stored ones are cleaned instead. Anything else is returned as it is."""
    if isinstance(value, str):
        index = first_forbidden(value)
        if index is None:
            return value
        if stored:
            return xml_safe(value)
        raise ValueError(describe_forbidden(value, index))
    if isinstance(value, list):
        for position, item in enumerate(value):
            if isinstance(item, str) and (index := first_forbidden(item)) is not None:
                if stored:
                    return [xml_safe(each) if isinstance(each, str) else each for each in value]
                raise ValueError(f"item {position} {describe_forbidden(item, index)}")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_xml_can_carry(cls, value: Any, info: ValidationInfo) -> Any:
        # Every field of every record, present and future, passes here: titles, summaries, places,
        # names, URLs, slugs and tags alike, from mutations and from files. Exports and imports
        # validate every record, so the usual case (nothing found) is one search and no call.
        if isinstance(value, str):
            if FORBIDDEN.search(value) is None:
                return value
        elif not (isinstance(value, list) and value and isinstance(value[0], str)):
            return value  # numbers, dates, enums' members, nested records (checked on their own)
        elif FORBIDDEN.search("".join(value)) is None:  # a list of strings (validated: all strings)
            return value
        return checked_text(value, stored=is_stored(info))


class LocalizedTitle(Record):
    en: Annotated[Title, AfterValidator(_not_blank)]
    zh_tw: Title | None = None


class LocalizedText(Record):
    en: LongText = ""
    zh_tw: LongText | None = None


class LocalizedPlace(Record):
    en: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]
    zh_tw: Annotated[str, Field(max_length=200)] | None = None


class DateRecord(Record):
    year: int
    month: int | None = None
    day: int | None = None

    @model_validator(mode="after")
    def _exists(self) -> Self:
        self.to_partial()
        return self

    def to_partial(self) -> PartialDate:
        try:
            return PartialDate(self.year, self.month, self.day)
        except PartialDateError as exc:
            raise ValueError(f"{exc.field}: {exc}") from exc


class ContentRecord(Record):
    """What every record carries; each content type's record adds its declared fields."""

    content_type: ClassVar[ContentType]

    slug: Slug
    status: Status = Status.PUBLISHED
    published_at: AwareDatetime | None = None
    # A publish set for later (accord.schedule): only on drafts and archived content. Left out of
    # dumps when unset, so records, exports and revisions of unscheduled content do not carry it.
    scheduled_at: AwareDatetime | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None

    @model_serializer(mode="wrap")
    def _schedule_when_set(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("scheduled_at", 0) is None:
            del data["scheduled_at"]
        return data

    @model_validator(mode="before")
    @classmethod
    def _not_too_many(cls, data: Any, info: ValidationInfo) -> Any:
        # Before the items are validated: an over-long list is refused without looking at them.
        if not isinstance(data, dict) or is_stored(info):
            return data
        for spec in cls.content_type.fields:
            limit = getattr(spec, "max_items", None)
            value = data.get(spec.record)
            if limit is not None and isinstance(value, list) and len(value) > limit:
                per = cls.content_type.singular
                raise ValueError(
                    f"{spec.record}: at most {limit} {spec.record} per {per} ({len(value)} given)"
                )
        return data

    @model_validator(mode="after")
    def _declared_checks(self) -> Self:
        if self.scheduled_at is not None and self.status is Status.PUBLISHED:
            raise ValueError("scheduled_at: published content has no scheduled publish")
        for spec in self.content_type.fields:
            if isinstance(spec, kinds.Date) and spec.period_end:
                end = self.content_type.field(spec.period_end)
                start_value, end_value = getattr(self, spec.record), getattr(self, end.record)
                if start_value is not None and end_value is not None:
                    try:
                        check_period(start_value.to_partial(), end_value.to_partial())
                    except PartialDateError as exc:
                        raise ValueError(f"{end.record}: {exc}") from exc
            elif isinstance(spec, kinds.Tags | kinds.Images):
                listed = getattr(self, spec.record)
                if len(set(listed)) != len(listed):
                    what = "a tag" if isinstance(spec, kinds.Tags) else "an image"
                    raise ValueError(f"{spec.record}: {what} is listed twice")
        return self


def _record_field(spec: kinds.Field) -> tuple[Any, Any]:
    """(annotation, default) of a declared field in its content type's record."""
    if isinstance(spec, kinds.Localized):
        return (LocalizedTitle, ...) if spec.required else (LocalizedText, LocalizedText())
    if isinstance(spec, kinds.Date):
        return (DateRecord, ...) if spec.required else (DateRecord | None, None)
    if isinstance(spec, kinds.Choice):
        return spec.enum, spec.enum(spec.default)
    if isinstance(spec, kinds.Flag):
        return bool, spec.default
    if isinstance(spec, kinds.Places):
        return list[LocalizedPlace], []
    if isinstance(spec, kinds.Tags):
        return list[Tag], []
    if isinstance(spec, kinds.Linked):
        return list[Slug], []
    if isinstance(spec, kinds.Images):
        return list[ContentHash], []
    if isinstance(spec, kinds.Origin):
        return Slug | None, None
    assert isinstance(spec, kinds.Text)
    constraints = FieldInfo(max_length=spec.max_length, pattern=spec.pattern)
    return Annotated[str, constraints] | None, None


def _record_type(content: ContentType) -> type[ContentRecord]:
    fields = {spec.record: _record_field(spec) for spec in content.fields if spec.record}
    record: type[ContentRecord] = create_model(  # type: ignore[call-overload]
        f"{content.name}Record", __base__=ContentRecord, **fields
    )
    record.content_type = content
    return record


RECORD_TYPES: dict[str, type[ContentRecord]] = {
    content.name: _record_type(content) for content in CONTENT_TYPES
}


class ContentDocument(Record):
    """What fixture files and exports hold; ``DOCUMENT_TYPE`` adds one list per content type."""

    version: int = FORMAT_VERSION

    @model_validator(mode="after")
    def _supported(self) -> Self:
        if self.version != FORMAT_VERSION:
            raise ValueError(
                f"version: unsupported format version {self.version} (expected {FORMAT_VERSION})"
            )
        return self

    def records(self, content: ContentType) -> list[ContentRecord]:
        found: list[ContentRecord] = getattr(self, content.plural)
        return found

    @property
    def image_records(self) -> list[ImageRecord]:
        found: list[ImageRecord] = getattr(self, "images")  # noqa: B009  (a field of DOCUMENT_TYPE)
        return found


def _list_of(record: type[ContentRecord]) -> Any:
    return list[record]  # type: ignore[valid-type]


# One list per content type, in dependency order: partners, agreements, exhibits, events; then the
# images they show (last: the text of a file comes before the pictures' bytes).
DOCUMENT_TYPE: type[ContentDocument] = create_model(  # type: ignore[call-overload]
    "ContentDocument",
    __base__=ContentDocument,
    **{content.plural: (_list_of(RECORD_TYPES[content.name]), []) for content in CONTENT_TYPES},
    images=(list[ImageRecord], []),
)


class DocumentError(ValueError):
    """A content file that cannot be loaded; the message names the file, the record and the field."""


def describe_validation_error(source: str, raw: Any, error: ValidationError) -> DocumentError:
    """Turn pydantic's locations into 'FILE: events[3] (slug x): date.month: message' lines."""
    lines = []
    for problem in error.errors()[:20]:
        loc = list(problem["loc"])
        where = ""
        if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            section, index = loc[0], loc[1]
            slug = _slug_at(raw, section, index)
            where = f"{section}[{index}]" + (f" (slug {slug})" if slug else "")
            loc = loc[2:]
        field = ".".join(str(part) for part in loc if not str(part).startswith("function-"))
        message = problem["msg"].removeprefix("Value error, ")
        parts = [part for part in (where, field) if part]
        lines.append(f"{source}: {': '.join(parts)}: {message}" if parts else f"{source}: {message}")
    more = len(error.errors()) - 20
    if more > 0:
        lines.append(f"{source}: ... and {more} more problems")
    return DocumentError("\n".join(lines))


def _slug_at(raw: Any, section: str, index: int) -> str | None:
    try:
        slug = raw[section][index]["slug"]
    except (KeyError, IndexError, TypeError):
        return None
    return slug if isinstance(slug, str) else None


def parse_document(source: str, raw: Any) -> ContentDocument:
    if not isinstance(raw, dict):
        raise DocumentError(f"{source}: expected a mapping with partners, agreements, exhibits and events")
    try:
        document = DOCUMENT_TYPE.model_validate(raw)
    except ValidationError as exc:
        raise describe_validation_error(source, raw, exc) from None
    check_unique_slugs(source, document)
    return document


def check_unique_slugs(source: str, document: ContentDocument) -> None:
    for content in CONTENT_TYPES:
        section = content.plural
        seen: dict[str, int] = {}
        for index, record in enumerate(document.records(content)):
            if record.slug in seen:
                raise DocumentError(
                    f"{source}: {section}[{index}] (slug {record.slug}): slug: "
                    f"duplicate of {section}[{seen[record.slug]}]"
                )
            seen[record.slug] = index
    hashes: dict[str, int] = {}
    for index, image in enumerate(document.image_records):
        if image.content_hash in hashes:
            raise DocumentError(
                f"{source}: images[{index}]: content_hash: duplicate of images[{hashes[image.content_hash]}]"
            )
        hashes[image.content_hash] = index


def merge_documents(documents: list[ContentDocument]) -> ContentDocument:
    sections: dict[str, Any] = {
        content.plural: [r for d in documents for r in d.records(content)] for content in CONTENT_TYPES
    }
    sections["images"] = [image for document in documents for image in document.image_records]
    return DOCUMENT_TYPE(**sections)

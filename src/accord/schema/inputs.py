"""The contract's input types, built from the content model: each list's filter, each type's create
input and patch, and their conversion to the writer's plain values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import cache
from typing import Any

import strawberry

from accord.content.fields import (
    Choice,
    Date,
    Field,
    FilterField,
    Flag,
    Images,
    Linked,
    Localized,
    Origin,
    Places,
    Tags,
    Text,
)
from accord.content.model import ContentType
from accord.models.enums import Status
from accord.write.content import WriteRequest

PATCH_DESCRIPTION = "Every field optional: only the fields given change."


@strawberry.input(
    description="Text in every content language. zhTw may be omitted; readers then get the English text."
)
class LocalizedTextInput:
    en: str
    zh_tw: str | None = None


@strawberry.input
class PartialDateInput:
    year: int
    month: int | None = None
    day: int | None = None


def _input_type(name: str, fields: list[tuple[str, Any, Any]], description: str | None) -> Any:
    """A strawberry input class; its attributes carry the GraphQL names (``isMilestone``)."""
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": __name__}
    for field_name, annotation, default in fields:
        namespace["__annotations__"][field_name] = annotation
        if default is not _REQUIRED:
            namespace[field_name] = default
    return strawberry.input(type(name, (), namespace), description=description)


_REQUIRED = object()


# -- filters ----------------------------------------------------------------------------------


def _filter_field(content: ContentType, spec: FilterField) -> tuple[str, Any, Any]:
    annotation: Any
    if spec.kind in ("year_from", "year_to"):
        annotation = int
    elif spec.kind == "choice":
        choice = content.field(spec.options["field"])
        assert isinstance(choice, Choice)
        annotation = choice.enum
    elif spec.kind == "flag":
        annotation = bool
    elif spec.kind == "status":
        annotation = Status
    else:
        annotation = str
    default = strawberry.field(default=None, description=spec.description) if spec.description else None
    return spec.name, annotation | None, default


@cache
def filter_input(content: ContentType) -> Any:
    return _input_type(
        f"{content.name}Filter", [_filter_field(content, spec) for spec in content.filters], None
    )


# -- write inputs -----------------------------------------------------------------------------


def _annotation(spec: Field) -> tuple[Any, bool, Any]:
    """(GraphQL type, required in the create input, default in the create input)."""
    if isinstance(spec, Localized):
        return LocalizedTextInput, spec.required, None
    if isinstance(spec, Date):
        return PartialDateInput, spec.required, None
    if isinstance(spec, Choice):
        return spec.enum, True, None
    if isinstance(spec, Flag):
        return bool, False, spec.default
    if isinstance(spec, Places):
        return list[LocalizedTextInput], False, None
    if isinstance(spec, Tags):
        return list[str], False, None
    if isinstance(spec, Linked | Images):
        return list[strawberry.ID], False, None
    if isinstance(spec, Origin):
        return strawberry.ID, False, None
    assert isinstance(spec, Text)
    return str, False, None


def writable(content: ContentType) -> list[Field]:
    return [spec for spec in content.fields if spec.input_name]


@cache
def create_input(content: ContentType) -> Any:
    fields: list[tuple[str, Any, Any]] = [("slug", str | None, None)]
    for spec in writable(content):
        annotation, required, default = _annotation(spec)
        if required:
            fields.append((spec.input_name, annotation, _REQUIRED))
        else:
            fields.append((spec.input_name, annotation | None, default))
    fields.append(("status", Status | None, Status.DRAFT))
    return _input_type(f"{content.name}Input", fields, None)


@cache
def patch_input(content: ContentType) -> Any:
    fields: list[tuple[str, Any, Any]] = [("slug", str | None, strawberry.UNSET)]
    fields += [(spec.input_name, _annotation(spec)[0] | None, strawberry.UNSET) for spec in writable(content)]
    return _input_type(f"{content.name}Patch", fields, PATCH_DESCRIPTION)


# How a given value becomes a record value, per kind (an input's fields are named as the record's:
# ``asdict``); None for a null the field does not take in a patch (a required or list field cannot
# be cleared: leaving it out keeps it).
_RECORD_VALUE: dict[type[Field], Callable[[Any], Any]] = {
    Localized: lambda value: asdict(value) if value is not None else {"en": "", "zh_tw": None},
    Date: lambda value: None if value is None else asdict(value),
    Choice: lambda value: value,
    Flag: lambda value: value,
    Places: lambda value: [asdict(place) for place in value or []],
    Tags: lambda value: list(value or []),
    Text: lambda value: value,
}


def _keeps_on_null(spec: Field) -> bool:
    return isinstance(spec, Choice | Flag | Places | Tags) or (
        isinstance(spec, Localized | Date) and spec.required
    )


def to_request(content: ContentType, data: Any, *, patch: bool) -> WriteRequest:
    """The given fields as the writer's plain values (a patch leaves out what it does not change)."""
    request = WriteRequest(values={})
    slug = data.slug
    if slug is not strawberry.UNSET and slug is not None:
        request.values["slug"] = slug
    for spec in writable(content):
        value = getattr(data, spec.input_name)
        if value is strawberry.UNSET:
            continue
        if isinstance(spec, Linked | Images):
            request.links[spec.input_name] = None if value is None and patch else list(value or [])
        elif isinstance(spec, Origin):
            request.origin_id, request.origin_given = value, True
        elif patch and value is None and _keeps_on_null(spec):
            continue
        else:
            request.values[spec.record] = _RECORD_VALUE[type(spec)](value)
    if not patch:
        request.values["status"] = data.status
    return request

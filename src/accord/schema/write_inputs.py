"""The contract's write inputs, and their conversion to plain record values."""

from __future__ import annotations

from typing import Any

import strawberry

from accord.schema.enums import AgreementKind, EventKind, ExhibitKind, PartnerKind, Status
from accord.writes.content import WriteRequest


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


def _text(value: LocalizedTextInput | None) -> dict[str, Any] | None:
    return None if value is None else {"en": value.en, "zh_tw": value.zh_tw}


def _date(value: PartialDateInput | None) -> dict[str, Any] | None:
    return None if value is None else {"year": value.year, "month": value.month, "day": value.day}


def _value(value: Any) -> Any:
    if isinstance(value, LocalizedTextInput):
        return _text(value)
    if isinstance(value, PartialDateInput):
        return _date(value)
    if isinstance(value, list):
        return [_value(item) for item in value]
    return value


# input field (python name) -> record field, where they differ
RECORD_FIELDS = {"is_milestone": "milestone", "end_date": "end_date", "signed_on": "signed_on"}
LINK_FIELDS = {
    "partner_ids": "partnerIds",
    "agreement_ids": "agreementIds",
    "exhibit_ids": "exhibitIds",
    "party_ids": "partyIds",
}


def to_request(data: Any, *, patch: bool) -> WriteRequest:
    """Given fields only (a patch leaves out what it does not change); links and origin apart."""
    request = WriteRequest(values={})
    for name, value in vars(data).items():
        if value is strawberry.UNSET:
            continue
        if name in LINK_FIELDS:
            request.links[LINK_FIELDS[name]] = None if value is None and patch else list(value or [])
        elif name == "origin_id":
            request.origin_id, request.origin_given = value, True
        elif (
            patch
            and value is None
            and name in ("title", "name", "kind", "slug", "date", "is_milestone", "tags", "places")
        ):
            # Required or list fields cannot be cleared with null; leaving them out keeps them.
            continue
        else:
            converted = _value(value)
            if name in ("places", "tags") and converted is None:
                converted = []
            if name in ("summary", "description") and converted is None:
                converted = {"en": "", "zh_tw": None}
            request.values[RECORD_FIELDS.get(name, name)] = converted
    if not patch and request.values.get("slug") is None:
        request.values.pop("slug", None)
    return request


@strawberry.input
class EventInput:
    slug: str | None = None
    title: LocalizedTextInput
    summary: LocalizedTextInput | None = None
    date: PartialDateInput
    end_date: PartialDateInput | None = None
    kind: EventKind
    is_milestone: bool | None = False
    places: list[LocalizedTextInput] | None = None
    tags: list[str] | None = None
    partner_ids: list[strawberry.ID] | None = None
    agreement_ids: list[strawberry.ID] | None = None
    exhibit_ids: list[strawberry.ID] | None = None
    status: Status | None = Status.DRAFT


@strawberry.input(description="Every field optional: only the fields given change.")
class EventPatch:
    slug: str | None = strawberry.UNSET
    title: LocalizedTextInput | None = strawberry.UNSET
    summary: LocalizedTextInput | None = strawberry.UNSET
    date: PartialDateInput | None = strawberry.UNSET
    end_date: PartialDateInput | None = strawberry.UNSET
    kind: EventKind | None = strawberry.UNSET
    is_milestone: bool | None = strawberry.UNSET
    places: list[LocalizedTextInput] | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    partner_ids: list[strawberry.ID] | None = strawberry.UNSET
    agreement_ids: list[strawberry.ID] | None = strawberry.UNSET
    exhibit_ids: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input
class PartnerInput:
    slug: str | None = None
    name: LocalizedTextInput
    short_name: str | None = None
    kind: PartnerKind
    country: str | None = None
    website: str | None = None
    status: Status | None = Status.DRAFT


@strawberry.input(description="Every field optional: only the fields given change.")
class PartnerPatch:
    slug: str | None = strawberry.UNSET
    name: LocalizedTextInput | None = strawberry.UNSET
    short_name: str | None = strawberry.UNSET
    kind: PartnerKind | None = strawberry.UNSET
    country: str | None = strawberry.UNSET
    website: str | None = strawberry.UNSET


@strawberry.input
class AgreementInput:
    slug: str | None = None
    title: LocalizedTextInput
    summary: LocalizedTextInput | None = None
    kind: AgreementKind
    signed_on: PartialDateInput | None = None
    party_ids: list[strawberry.ID] | None = None
    status: Status | None = Status.DRAFT


@strawberry.input(description="Every field optional: only the fields given change.")
class AgreementPatch:
    slug: str | None = strawberry.UNSET
    title: LocalizedTextInput | None = strawberry.UNSET
    summary: LocalizedTextInput | None = strawberry.UNSET
    kind: AgreementKind | None = strawberry.UNSET
    signed_on: PartialDateInput | None = strawberry.UNSET
    party_ids: list[strawberry.ID] | None = strawberry.UNSET


@strawberry.input
class ExhibitInput:
    slug: str | None = None
    title: LocalizedTextInput
    description: LocalizedTextInput | None = None
    kind: ExhibitKind
    image_url: str | None = None
    origin_id: strawberry.ID | None = None
    agreement_ids: list[strawberry.ID] | None = None
    status: Status | None = Status.DRAFT


@strawberry.input(description="Every field optional: only the fields given change.")
class ExhibitPatch:
    slug: str | None = strawberry.UNSET
    title: LocalizedTextInput | None = strawberry.UNSET
    description: LocalizedTextInput | None = strawberry.UNSET
    kind: ExhibitKind | None = strawberry.UNSET
    image_url: str | None = strawberry.UNSET
    origin_id: strawberry.ID | None = strawberry.UNSET
    agreement_ids: list[strawberry.ID] | None = strawberry.UNSET

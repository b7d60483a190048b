"""Mapping between document records and table rows (plain dicts for bulk Core statements)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlmodel import SQLModel

from accord.content.document import (
    STORED,
    AgreementRecord,
    ContentRecord,
    DateRecord,
    EventRecord,
    ExhibitRecord,
    PartnerRecord,
)
from accord.models.enums import Status

# Content sections in dependency order: a section only links to sections before it.
SECTIONS = ("partners", "agreements", "exhibits", "events")
TABLE_OF_SECTION = {
    "partners": "partner",
    "agreements": "agreement",
    "exhibits": "exhibit",
    "events": "event",
}


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _timestamps(record: ContentRecord, now: datetime) -> dict[str, Any]:
    published_at = record.published_at
    if published_at is None and record.status is not Status.DRAFT:
        published_at = now
    return {
        "slug": record.slug,
        "status": record.status.value,
        "published_at": published_at,
        "created_at": record.created_at or now,
        "updated_at": record.updated_at or now,
    }


def partner_row(record: PartnerRecord) -> dict[str, Any]:
    return {
        "name_en": record.name.en,
        "name_zh": record.name.zh_tw,
        "short_name": record.short_name,
        "kind": record.kind.value,
        "country": record.country,
        "website": record.website,
    }


def _signed(date: DateRecord | None) -> dict[str, Any]:
    return {
        "signed_year": date.year if date else None,
        "signed_month": date.month if date else None,
        "signed_day": date.day if date else None,
    }


def agreement_row(record: AgreementRecord) -> dict[str, Any]:
    return {
        "title_en": record.title.en,
        "title_zh": record.title.zh_tw,
        "summary_en": record.summary.en,
        "summary_zh": record.summary.zh_tw,
        "kind": record.kind.value,
        **_signed(record.signed_on),
    }


def exhibit_row(record: ExhibitRecord) -> dict[str, Any]:
    return {
        "title_en": record.title.en,
        "title_zh": record.title.zh_tw,
        "description_en": record.description.en,
        "description_zh": record.description.zh_tw,
        "kind": record.kind.value,
        "image_url": record.image_url,
    }


def event_row(record: EventRecord) -> dict[str, Any]:
    end = record.end_date
    return {
        "title_en": record.title.en,
        "title_zh": record.title.zh_tw,
        "summary_en": record.summary.en,
        "summary_zh": record.summary.zh_tw,
        "year": record.date.year,
        "month": record.date.month,
        "day": record.date.day,
        "end_year": end.year if end else None,
        "end_month": end.month if end else None,
        "end_day": end.day if end else None,
        "sort_key": record.date.to_partial().sort_key,
        "kind": record.kind.value,
        "is_milestone": record.milestone,
        "places": [place.model_dump() for place in record.places],
    }


def content_row(section: str, record: ContentRecord) -> dict[str, Any]:
    """The row's content columns, without identity and timestamps."""
    if isinstance(record, PartnerRecord):
        return partner_row(record)
    if isinstance(record, AgreementRecord):
        return agreement_row(record)
    if isinstance(record, ExhibitRecord):
        return exhibit_row(record)
    if isinstance(record, EventRecord):
        return event_row(record)
    raise TypeError(f"unknown record in {section}")


def full_row(section: str, record: ContentRecord, now: datetime) -> dict[str, Any]:
    return {**content_row(section, record), **_timestamps(record, now)}


# Records read back from rows are validated with the STORED context: a row written before a rule
# existed (a control character in a title, more tags than allowed today) still reads, cleaned.


def _title(en: str, zh: str | None) -> dict[str, Any]:
    return {"en": en, "zh_tw": zh}


def _text(en: str, zh: str | None) -> dict[str, Any]:
    return {"en": en, "zh_tw": zh}


def _date(year: int | None, month: int | None, day: int | None) -> dict[str, Any] | None:
    return None if year is None else {"year": year, "month": month, "day": day}


def _meta(row: Any) -> dict[str, Any]:
    return {
        "slug": row.slug,
        "status": Status(row.status),
        "published_at": row.published_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def partner_record(row: Any) -> PartnerRecord:
    return PartnerRecord.model_validate(
        {
            **_meta(row),
            "name": _title(row.name_en, row.name_zh),
            "short_name": row.short_name,
            "kind": row.kind,
            "country": row.country,
            "website": row.website,
        },
        context=STORED,
    )


def agreement_record(row: Any, parties: list[str]) -> AgreementRecord:
    return AgreementRecord.model_validate(
        {
            **_meta(row),
            "title": _title(row.title_en, row.title_zh),
            "summary": _text(row.summary_en, row.summary_zh),
            "kind": row.kind,
            "signed_on": _date(row.signed_year, row.signed_month, row.signed_day),
            "parties": parties,
        },
        context=STORED,
    )


def exhibit_record(row: Any, origin: str | None, agreements: list[str]) -> ExhibitRecord:
    return ExhibitRecord.model_validate(
        {
            **_meta(row),
            "title": _title(row.title_en, row.title_zh),
            "description": _text(row.description_en, row.description_zh),
            "kind": row.kind,
            "image_url": row.image_url,
            "origin": origin,
            "agreements": agreements,
        },
        context=STORED,
    )


def event_record(row: Any, links: dict[str, list[str]]) -> EventRecord:
    start = _date(row.year, row.month, row.day)
    assert start is not None
    return EventRecord.model_validate(
        {
            **_meta(row),
            "title": _title(row.title_en, row.title_zh),
            "summary": _text(row.summary_en, row.summary_zh),
            "date": start,
            "end_date": _date(row.end_year, row.end_month, row.end_day),
            "kind": row.kind,
            "milestone": row.is_milestone,
            "places": list(row.places),
            "tags": links["tags"],
            "partners": links["partners"],
            "agreements": links["agreements"],
            "exhibits": links["exhibits"],
        },
        context=STORED,
    )

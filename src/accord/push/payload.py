"""The JSON body of a webhook event.

``data`` holds the content as an anonymous reader sees it, in English and Traditional Chinese. For
events it has exactly the fields of the ``milestoneAdded`` payload that Server-Sent Events carry
(``accord.live.sse.SSE_QUERY``); a test compares the two. It is built inside the write transaction
from the content record, so a webhook describes the content as that write left it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select

from accord.content.document import (
    AgreementRecord,
    ContentRecord,
    DateRecord,
    EventRecord,
    ExhibitRecord,
    PartnerRecord,
)
from accord.dates import period_label
from accord.feeds.formats import LANGUAGE_TAGS
from accord.models.enums import Locale, Status
from accord.push.events import ContentChange
from accord.resolvers.db import agreements, partners
from accord.resolvers.ids import to_global_id

LOCALES = (Locale.EN, Locale.ZH_TW)


def pick(en: str | None, zh: str | None, locale: Locale) -> str:
    """GraphQL's choice of language (``accord.schema.localize.pick``). Imported when called: the
    schema package imports the writer, which imports this module."""
    from accord.schema.localize import pick as schema_pick

    return schema_pick(en, zh, locale)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _date(value: DateRecord | None, end: DateRecord | None, locale: Locale) -> dict[str, str] | None:
    if value is None:
        return None
    start = value.to_partial()
    return {
        "iso": start.iso,
        "label": period_label(start, None if end is None else end.to_partial(), locale),
    }


def _published(conn: Connection, table: Any, slugs: list[str]) -> list[Any]:
    """The published rows among ``slugs``, in id order (the order GraphQL lists relations in)."""
    if not slugs:
        return []
    query = select(table).where(table.c.slug.in_(slugs), table.c.status == Status.PUBLISHED.value)
    return list(conn.execute(query.order_by(table.c.id)))


def _partner_ref(row: Any, locale: Locale) -> dict[str, Any]:
    return {
        "id": to_global_id("Partner", row.id),
        "slug": row.slug,
        "name": pick(row.name_en, row.name_zh, locale),
        "shortName": row.short_name,
    }


def _event(conn: Connection, id_: int, record: EventRecord) -> dict[str, Any]:
    partner_rows = _published(conn, partners, record.partners)
    agreement_rows = _published(conn, agreements, record.agreements)
    data = {}
    for locale in LOCALES:
        data[LANGUAGE_TAGS[locale]] = {
            "id": to_global_id("Event", id_),
            "slug": record.slug,
            "title": pick(record.title.en, record.title.zh_tw, locale),
            "summary": pick(record.summary.en, record.summary.zh_tw, locale),
            "isMilestone": record.milestone,
            "publishedAt": _iso(record.published_at),
            "date": _date(record.date, record.end_date, locale),
            "endDate": _date(record.end_date, None, locale),
            "places": [pick(place.en, place.zh_tw, locale) for place in record.places],
            "tags": list(record.tags),
            "kind": record.kind.value,
            "partners": [_partner_ref(row, locale) for row in partner_rows],
            "agreements": [
                {
                    "id": to_global_id("Agreement", row.id),
                    "slug": row.slug,
                    "title": pick(row.title_en, row.title_zh, locale),
                    "kind": row.kind,
                }
                for row in agreement_rows
            ],
        }
    return data


def _other(conn: Connection, type_name: str, id_: int, record: ContentRecord) -> dict[str, Any]:
    data = {}
    for locale in LOCALES:
        fields: dict[str, Any] = {"id": to_global_id(type_name, id_), "slug": record.slug}
        if isinstance(record, PartnerRecord):
            fields |= {
                "name": pick(record.name.en, record.name.zh_tw, locale),
                "shortName": record.short_name,
                "kind": record.kind.value,
                "country": record.country,
                "website": record.website,
            }
        elif isinstance(record, AgreementRecord):
            fields |= {
                "title": pick(record.title.en, record.title.zh_tw, locale),
                "summary": pick(record.summary.en, record.summary.zh_tw, locale),
                "kind": record.kind.value,
                "signedOn": _date(record.signed_on, None, locale),
                "parties": [_partner_ref(row, locale) for row in _published(conn, partners, record.parties)],
            }
        elif isinstance(record, ExhibitRecord):
            origin = _published(conn, partners, [record.origin] if record.origin else [])
            fields |= {
                "title": pick(record.title.en, record.title.zh_tw, locale),
                "description": pick(record.description.en, record.description.zh_tw, locale),
                "kind": record.kind.value,
                "imageUrl": record.image_url,
                "origin": _partner_ref(origin[0], locale) if origin else None,
            }
        fields["publishedAt"] = _iso(record.published_at)
        data[LANGUAGE_TAGS[locale]] = fields
    return data


def content_data(conn: Connection, change: ContentChange) -> dict[str, Any] | None:
    """The ``data`` object: both languages, or None for deleted content."""
    record = change.after
    if record is None:
        return None
    if isinstance(record, EventRecord):
        return _event(conn, change.id, record)
    return _other(conn, change.type_name, change.id, record)


def event_body(event_type: str, change: ContentChange, data: dict[str, Any] | None, at: datetime) -> str:
    """The body of one event: the same for every endpoint that gets it."""
    return orjson.dumps(
        {
            "type": event_type,
            "timestamp": at.isoformat(),
            "changeId": change.change_id,
            "contentType": change.type_name,
            "id": to_global_id(change.type_name, change.id),
            "slug": change.record.slug,
            "action": change.action,
            "data": data,
        }
    ).decode()


def test_body(endpoint_id: int, at: datetime) -> str:
    return orjson.dumps(
        {
            "type": "webhook.test",
            "timestamp": at.isoformat(),
            "changeId": None,
            "contentType": None,
            "id": None,
            "slug": None,
            "action": "test",
            "data": {"endpoint": endpoint_id, "message": "a test event sent on request"},
        }
    ).decode()

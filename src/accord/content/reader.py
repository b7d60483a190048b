"""Reading content back out of the database as document records (export, and upsert comparison)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, select

from accord.content.document import ContentDocument, ContentRecord
from accord.content.links import links_of
from accord.content.rows import (
    SECTIONS,
    TABLE_OF_SECTION,
    agreement_record,
    event_record,
    exhibit_record,
    partner_record,
    table,
)

CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def slug_map(conn: Connection, section: str) -> dict[str, int]:
    t = table(TABLE_OF_SECTION[section])
    return {slug: id_ for id_, slug in conn.execute(select(t.c.id, t.c.slug))}


def _rows(conn: Connection, section: str, ids: Sequence[int] | None) -> list[Any]:
    t = table(TABLE_OF_SECTION[section])
    if ids is None:
        return list(conn.execute(select(t).order_by(t.c.slug)))
    rows: list[Any] = []
    for part in chunks(ids):
        rows.extend(conn.execute(select(t).where(t.c.id.in_(part))))
    return sorted(rows, key=lambda row: row.slug)


def _linked_slugs(
    conn: Connection, section: str, field: str, ids: Sequence[int] | None
) -> dict[int, list[str]]:
    spec = next(spec for spec in links_of(section) if spec.field == field)
    link = table(spec.table)
    target = table(TABLE_OF_SECTION[spec.target_section])
    own = link.c[spec.own_column]
    query = select(own, target.c.slug).join(target, target.c.id == link.c[spec.target_column])
    result: dict[int, list[str]] = defaultdict(list)
    parts: Iterable[Sequence[int] | None] = [None] if ids is None else chunks(ids)
    for part in parts:
        scoped = query if part is None else query.where(own.in_(part))
        for own_id, slug in conn.execute(scoped):
            result[own_id].append(slug)
    for slugs in result.values():
        slugs.sort()
    return result


def _tags(conn: Connection, ids: Sequence[int] | None) -> dict[int, list[str]]:
    t = table("event_tag")
    query = select(t.c.event_id, t.c.tag).order_by(t.c.event_id, t.c.position, t.c.tag)
    result: dict[int, list[str]] = defaultdict(list)
    parts: Iterable[Sequence[int] | None] = [None] if ids is None else chunks(ids)
    for part in parts:
        scoped = query if part is None else query.where(t.c.event_id.in_(part))
        for event_id, tag in conn.execute(scoped):
            result[event_id].append(tag)
    return result


def read_records(conn: Connection, section: str, ids: Sequence[int] | None = None) -> list[ContentRecord]:
    """Records of one section (all of them, or those with ``ids``), sorted by slug."""
    rows = _rows(conn, section, ids)
    if section == "partners":
        return [partner_record(row) for row in rows]
    if section == "agreements":
        parties = _linked_slugs(conn, section, "parties", ids)
        return [agreement_record(row, parties.get(row.id, [])) for row in rows]
    if section == "exhibits":
        agreements = _linked_slugs(conn, section, "agreements", ids)
        partner = table("partner")
        origins = (
            {id_: slug for id_, slug in conn.execute(select(partner.c.id, partner.c.slug))} if rows else {}
        )
        return [exhibit_record(row, origins.get(row.origin_id), agreements.get(row.id, [])) for row in rows]
    links = {
        field: _linked_slugs(conn, section, field, ids) for field in ("partners", "agreements", "exhibits")
    }
    tags = _tags(conn, ids)
    return [
        event_record(
            row,
            {"tags": tags.get(row.id, []), **{field: links[field].get(row.id, []) for field in links}},
        )
        for row in rows
    ]


def read_document(conn: Connection) -> ContentDocument:
    sections = {section: read_records(conn, section) for section in SECTIONS}
    return ContentDocument.model_validate(sections)

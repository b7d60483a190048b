"""Keeping ``search_document`` in step with the content.

Every write path (fixture loads, imports, mutations) calls ``refresh`` with the ids it touched, in
the same transaction, so search never disagrees with the content it points at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from accord.content.fields import Localized, Places, Text
from accord.content.model import CONTENT_TYPES, ContentType
from accord.core.row_types import ContentRow
from accord.core.tables import search_documents

CHUNK = 500


def _join(*parts: Any) -> str:
    return " ".join(str(part) for part in parts if part)


def bodies(content: ContentType, row: ContentRow) -> tuple[str, str]:
    """The English and Chinese text of a row, from its searchable fields in declaration order
    (titles first: ranking prefers early matches)."""
    en: list[Any] = []
    zh: list[Any] = []
    for spec in content.fields:
        if isinstance(spec, Localized):
            en.append(getattr(row, spec.en))
            zh.append(getattr(row, spec.zh))
        elif isinstance(spec, Places):
            places = getattr(row, spec.column)
            en += [place.get("en") for place in places]
            zh += [place.get("zh_tw") or place.get("en") for place in places]
        elif isinstance(spec, Text) and spec.search:
            value = getattr(row, spec.column)
            if "en" in spec.search:
                en.append(value)
            if "zh" in spec.search:
                zh.append(value)
    return _join(*en), _join(*zh)


def refresh(conn: Connection, content: ContentType, ids: Sequence[int]) -> None:
    """Re-index these rows of one type; ids whose row is gone are dropped from the index."""
    kind = content.singular
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start : start + CHUNK])
        conn.execute(
            delete(search_documents).where(
                search_documents.c.kind == kind, search_documents.c.ref_id.in_(part)
            )
        )
        rows = conn.execute(select(content.table).where(content.table.c.id.in_(part))).all()
        _insert(conn, content, rows)


def _insert(conn: Connection, content: ContentType, rows: Iterable[ContentRow]) -> None:
    kind = content.singular
    values = []
    for row in rows:
        body_en, body_zh = bodies(content, row)
        values.append(
            {"kind": kind, "ref_id": row.id, "status": row.status, "body_en": body_en, "body_zh": body_zh}
        )
    if values:
        conn.execute(insert(search_documents), values)


def rebuild_all(conn: Connection) -> None:
    conn.execute(delete(search_documents))
    for content in CONTENT_TYPES:
        result = conn.execute(select(content.table))
        while batch := result.fetchmany(2_000):
            _insert(conn, content, batch)


def is_complete(conn: Connection) -> bool:
    indexed = conn.execute(select(func.count()).select_from(search_documents)).scalar_one()
    total = sum(
        conn.execute(select(func.count()).select_from(content.table)).scalar_one()
        for content in CONTENT_TYPES
    )
    return bool(indexed == total)

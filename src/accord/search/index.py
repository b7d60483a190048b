"""Keeping ``search_document`` in step with the content.

Every write path (fixture loads, imports, mutations) calls ``refresh`` with the ids it touched, in
the same transaction, so search never disagrees with the content it points at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from accord.models import Agreement, Event, Exhibit, Partner, SearchDocument

KINDS = ("event", "partner", "agreement", "exhibit")
CHUNK = 500


def _t(model: Any) -> Any:
    return model.__table__


def _join(*parts: Any) -> str:
    return " ".join(str(part) for part in parts if part)


def _bodies(kind: str, row: Any) -> tuple[str, str]:
    if kind == "event":
        places_en = [place.get("en") for place in row.places]
        places_zh = [place.get("zh_tw") or place.get("en") for place in row.places]
        return (
            _join(row.title_en, row.summary_en, *places_en),
            _join(row.title_zh, row.summary_zh, *places_zh),
        )
    if kind == "partner":
        return _join(row.name_en, row.short_name, row.country), _join(row.name_zh, row.short_name)
    if kind == "agreement":
        return _join(row.title_en, row.summary_en), _join(row.title_zh, row.summary_zh)
    return _join(row.title_en, row.description_en), _join(row.title_zh, row.description_zh)


TABLES = {"event": Event, "partner": Partner, "agreement": Agreement, "exhibit": Exhibit}


def refresh(conn: Connection, kind: str, ids: Sequence[int]) -> None:
    """Re-index these rows of one kind; ids whose row is gone are dropped from the index."""
    documents = _t(SearchDocument)
    source = _t(TABLES[kind])
    for start in range(0, len(ids), CHUNK):
        part = list(ids[start : start + CHUNK])
        conn.execute(delete(documents).where(documents.c.kind == kind, documents.c.ref_id.in_(part)))
        rows = conn.execute(select(source).where(source.c.id.in_(part))).all()
        _insert(conn, kind, rows)


def _insert(conn: Connection, kind: str, rows: Iterable[Any]) -> None:
    values = []
    for row in rows:
        body_en, body_zh = _bodies(kind, row)
        values.append(
            {"kind": kind, "ref_id": row.id, "status": row.status, "body_en": body_en, "body_zh": body_zh}
        )
    if values:
        conn.execute(insert(_t(SearchDocument)), values)


def rebuild_all(conn: Connection) -> None:
    conn.execute(delete(_t(SearchDocument)))
    for kind, model in TABLES.items():
        result = conn.execute(select(_t(model)))
        while batch := result.fetchmany(2_000):
            _insert(conn, kind, batch)


def is_complete(conn: Connection) -> bool:
    indexed = conn.execute(select(func.count()).select_from(_t(SearchDocument))).scalar_one()
    content = sum(
        conn.execute(select(func.count()).select_from(_t(model))).scalar_one() for model in TABLES.values()
    )
    return bool(indexed == content)

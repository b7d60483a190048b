"""Reading content back out of the database as document records (export, and upsert comparison)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, select

from accord.content.document import DOCUMENT_TYPE, ContentDocument, ContentRecord
from accord.content.fields import Images, Linked, Origin, Tags
from accord.content.model import BY_NAME, CONTENT_TYPES, ContentType
from accord.content.rows import record_of
from accord.core.row_types import ContentRow
from accord.core.tables import images
from accord.media.exchange import export_images

CHUNK = 500


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def slug_map(conn: Connection, content: ContentType) -> dict[str, int]:
    table = content.table
    return {slug: id_ for id_, slug in conn.execute(select(table.c.id, table.c.slug))}


def _rows(conn: Connection, content: ContentType, ids: Sequence[int] | None) -> list[ContentRow]:
    table = content.table
    if ids is None:
        return list(conn.execute(select(table).order_by(table.c.slug)))
    rows: list[ContentRow] = []
    for part in chunks(ids):
        rows.extend(conn.execute(select(table).where(table.c.id.in_(part))))
    return sorted(rows, key=lambda row: row.slug)


def _grouped(
    conn: Connection, query: Select[Any], column: ColumnElement[int], ids: Sequence[int] | None
) -> dict[int, list[str]]:
    """(owner id, value) rows of ``query``, grouped by owner (all owners, or those in ``ids``)."""
    result: dict[int, list[str]] = defaultdict(list)
    parts: Iterable[Sequence[int] | None] = [None] if ids is None else chunks(ids)
    for part in parts:
        scoped = query if part is None else query.where(column.in_(part))
        for own_id, value in conn.execute(scoped):
            result[own_id].append(value)
    return result


def _linked_slugs(conn: Connection, spec: Linked, ids: Sequence[int] | None) -> dict[int, list[str]]:
    relation = spec.relation
    link, target = relation.link, BY_NAME[relation.target].table
    own = link.c[relation.own_column]
    query = select(own, target.c.slug).join(target, target.c.id == link.c[relation.target_column])
    result = _grouped(conn, query, own, ids)
    for slugs in result.values():
        slugs.sort()
    return result


def _tags(conn: Connection, spec: Tags, ids: Sequence[int] | None) -> dict[int, list[str]]:
    table = spec.table
    query = select(table.c.event_id, table.c.tag).order_by(table.c.event_id, table.c.position, table.c.tag)
    return _grouped(conn, query, table.c.event_id, ids)


def _image_hashes(conn: Connection, spec: Images, ids: Sequence[int] | None) -> dict[int, list[str]]:
    """Each item's images as content hashes, in the editor's order."""
    link = spec.link
    own = link.c[spec.own_column]
    query = (
        select(own, images.c.content_hash)
        .join(images, images.c.id == link.c.image_id)
        .order_by(own, link.c.position, link.c.image_id)
    )
    return _grouped(conn, query, own, ids)


def read_records(
    conn: Connection, content: ContentType, ids: Sequence[int] | None = None
) -> list[ContentRecord]:
    """Records of one content type (all of them, or those with ``ids``), sorted by slug."""
    rows = _rows(conn, content, ids)
    related: dict[str, Mapping[int, object]] = {}
    for spec in content.fields:
        if isinstance(spec, Linked) and spec.record:
            related[spec.record] = _linked_slugs(conn, spec, ids)
        elif isinstance(spec, Tags):
            related[spec.record] = _tags(conn, spec, ids)
        elif isinstance(spec, Images):
            related[spec.record] = _image_hashes(conn, spec, ids)
        elif isinstance(spec, Origin) and rows:
            slugs = slug_map(conn, BY_NAME[spec.target])
            by_id = {id_: slug for slug, id_ in slugs.items()}
            related[spec.record] = {row.id: by_id.get(getattr(row, spec.column)) for row in rows}
    return [
        record_of(
            content,
            row,
            {
                name: values.get(row.id, None if isinstance(content.field_by_record(name), Origin) else [])
                for name, values in related.items()
            },
        )
        for row in rows
    ]


def read_document(conn: Connection) -> ContentDocument:
    """Everything: the content, and every image with its bytes (ordered by content hash)."""
    return DOCUMENT_TYPE.model_validate(
        {content.plural: read_records(conn, content) for content in CONTENT_TYPES}
        | {"images": list(export_images(conn))}
    )

"""Loading content documents into the database: one transaction, upsert by slug.

Records whose slug is new are inserted in bulk; records whose slug exists are compared with what
is stored and rewritten only when they differ, so loading the same file twice changes nothing (not
even ``updated_at``). Every reference is checked before the first write; the caller's transaction
makes a failure leave the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from accord.content.document import ContentDocument, ContentRecord, DocumentError
from accord.content.fields import Images, Origin, Tags
from accord.content.model import BY_NAME, CONTENT_TYPES, ContentType
from accord.content.reader import chunks, read_records, slug_map
from accord.content.rows import content_row, full_row
from accord.content.search_index import refresh as refresh_search
from accord.core.tables import images
from accord.media.exchange import ImageRecordError, import_image
from accord.models.columns import utcnow
from accord.models.enums import Status

Progress = Callable[[str, int], None]
TIMESTAMPS = ("published_at", "created_at", "updated_at")
INSERT_BATCH = 2_000
SECTIONS = tuple(content.plural for content in CONTENT_TYPES)


@dataclass
class LoadReport:
    inserted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    changed_ids: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    images_inserted: int = 0
    images_updated: int = 0  # stored images whose description changed
    images_unchanged: int = 0

    @property
    def changed(self) -> bool:
        return self.images_inserted + self.images_updated > 0 or any(self.changed_ids.values())


def _no_progress(section: str, done: int) -> None:
    return None


def _references(content: ContentType, record: ContentRecord) -> list[tuple[str, list[str], ContentType]]:
    """(record field, slugs, target type) of everything a record links to by slug."""
    found = [
        (spec.record, list(getattr(record, spec.record)), BY_NAME[spec.target]) for spec in content.links
    ]
    for spec in content.of_kind(Origin):
        slug = getattr(record, spec.record)
        if slug is not None:
            found.append((spec.record, [slug], BY_NAME[spec.target]))
    return found


def check_references(document: ContentDocument, known: dict[str, dict[str, int]]) -> None:
    """Every slug a record links to exists in the document or the database."""
    present = {
        content.plural: {record.slug for record in document.records(content)} | known[content.plural].keys()
        for content in CONTENT_TYPES
    }
    for content in CONTENT_TYPES:
        section = content.plural
        for index, record in enumerate(document.records(content)):
            for field_name, slugs, target in _references(content, record):
                if len(set(slugs)) != len(slugs):
                    raise DocumentError(
                        f"{section}[{index}] (slug {record.slug}): {field_name}: a slug is listed twice"
                    )
                single = isinstance(content.field_by_record(field_name), Origin)
                for position, slug in enumerate(slugs):
                    if slug not in present[target.plural]:
                        where = field_name if single else f"{field_name}[{position}]"
                        raise DocumentError(
                            f"{section}[{index}] (slug {record.slug}): {where}: "
                            f"unknown {target.singular} {slug!r}"
                        )


def _keeping_images(content: ContentType, record: ContentRecord, stored: ContentRecord) -> ContentRecord:
    """A record that does not mention an item's images keeps the ones it has: images are added
    with uploads, and a hand-written file that updates an item's text must not take them away
    (an export always lists them, an empty list included)."""
    kept = {
        spec.record: getattr(stored, spec.record)
        for spec in content.of_kind(Images)
        if spec.record not in record.model_fields_set
    }
    return record.model_copy(update=kept) if kept else record


def check_images(document: ContentDocument, stored: set[str]) -> None:
    """Every image a record shows is in the document's images or in the database."""
    present = stored | {image.content_hash for image in document.image_records}
    for content in CONTENT_TYPES:
        for spec in content.of_kind(Images):
            for index, record in enumerate(document.records(content)):
                for position, digest in enumerate(getattr(record, spec.record)):
                    if digest not in present:
                        raise DocumentError(
                            f"{content.plural}[{index}] (slug {record.slug}): {spec.record}[{position}]: "
                            f"no image with content hash {digest} (in the document's images or stored)"
                        )


def _comparable(record: ContentRecord) -> dict[str, Any]:
    """The record as stored data, with link lists as sets and unset timestamps left out."""
    data = record.model_dump(exclude={name for name in TIMESTAMPS if getattr(record, name) is None})
    for spec in record.content_type.links:
        data[spec.record] = sorted(data[spec.record])
    return data


class ContentLoader:
    def __init__(
        self,
        conn: Connection,
        *,
        now: datetime | None = None,
        progress: Progress | None = None,
        preferred_ids: dict[tuple[str, str], int] | None = None,
    ):
        self.conn = conn
        self.now = now or utcnow()
        self.progress = progress or _no_progress
        self.ids: dict[str, dict[str, int]] = {}
        self.image_ids: dict[str, int] = {}  # content hash -> image id
        # (section, slug) -> row id to insert with: restoring deleted content keeps its global id.
        self.preferred_ids = preferred_ids or {}

    def load(self, document: ContentDocument) -> LoadReport:
        self.ids = {content.plural: slug_map(self.conn, content) for content in CONTENT_TYPES}
        check_references(document, self.ids)
        self.image_ids = self._stored_images()
        check_images(document, set(self.image_ids))
        report = LoadReport()
        self._load_images(document, report)  # first: records name them by content hash
        for content in CONTENT_TYPES:
            records = document.records(content)
            known = self.ids[content.plural]
            self._insert(content, [r for r in records if r.slug not in known], report)
            self._upsert_existing(content, [r for r in records if r.slug in known], report)
            refresh_search(self.conn, content, report.changed_ids[content.plural])
        return report

    def _load_images(self, document: ContentDocument, report: LoadReport) -> None:
        for index, image in enumerate(document.image_records):
            stored = image.content_hash in self.image_ids
            try:
                image_id, written = import_image(self.conn, image)
            except ImageRecordError as exc:
                raise DocumentError(f"images[{index}]: {exc}") from None
            self.image_ids[image.content_hash] = image_id
            if not written:
                report.images_unchanged += 1
            elif stored:
                report.images_updated += 1
            else:
                report.images_inserted += 1
        if document.image_records:
            self.progress("images", len(document.image_records))

    def _stored_images(self) -> dict[str, int]:
        return {digest: id_ for id_, digest in self.conn.execute(select(images.c.id, images.c.content_hash))}

    def _origins(self, content: ContentType, record: ContentRecord) -> dict[str, Any]:
        """The origin columns of a record's row: slugs become ids."""
        values: dict[str, Any] = {}
        for spec in content.of_kind(Origin):
            slug = getattr(record, spec.record)
            values[spec.column] = self.ids[BY_NAME[spec.target].plural][slug] if slug else None
        return values

    def _row(self, content: ContentType, record: ContentRecord) -> dict[str, Any]:
        row = full_row(content, record, self.now) | self._origins(content, record)
        if (content.plural, record.slug) in self.preferred_ids:
            row["id"] = self.preferred_ids[content.plural, record.slug]
        return row

    def _insert(self, content: ContentType, records: Sequence[ContentRecord], report: LoadReport) -> None:
        if not records:
            return
        section = content.plural
        done = 0
        for part in chunks(records, INSERT_BATCH):
            self.conn.execute(insert(content.table), [self._row(content, record) for record in part])
            done += len(part)
            self.progress(section, done)
        self.ids[section] = slug_map(self.conn, content)
        new_ids = [self.ids[section][record.slug] for record in records]
        self._write_links(content, records, new_ids)
        report.inserted[section] += len(records)
        report.changed_ids[section].extend(new_ids)

    def _upsert_existing(
        self, content: ContentType, records: Sequence[ContentRecord], report: LoadReport
    ) -> None:
        if not records:
            return
        section, table = content.plural, content.table
        ids = [self.ids[section][record.slug] for record in records]
        current = {r.slug: r for r in read_records(self.conn, content, ids)}
        changed: list[ContentRecord] = []
        for given in records:
            stored = current[given.slug]
            record = _keeping_images(content, given, stored)
            if unchanged(record, stored):
                report.unchanged[section] += 1
                continue
            values = content_row(content, record) | self._origins(content, record)
            values["status"] = record.status.value
            # Part of the content, not a timestamp: a record without one has no schedule.
            values["scheduled_at"] = record.scheduled_at
            values["updated_at"] = record.updated_at or self.now
            if record.created_at is not None:
                values["created_at"] = record.created_at
            if record.published_at is not None:
                values["published_at"] = record.published_at
            elif stored.published_at is None and record.status is not Status.DRAFT:
                values["published_at"] = self.now
            self.conn.execute(
                update(table).where(table.c.id == self.ids[section][record.slug]).values(**values)
            )
            changed.append(record)
        changed_ids = [self.ids[section][record.slug] for record in changed]
        self._delete_links(content, changed_ids)
        self._write_links(content, changed, changed_ids)
        report.updated[section] += len(changed)
        report.changed_ids[section].extend(changed_ids)
        self.progress(section, len(records))

    def _link_tables(self, content: ContentType) -> list[tuple[Any, str]]:
        tables = [(spec.relation.link, spec.relation.own_column) for spec in content.links]
        tables += [(spec.table, "event_id") for spec in content.of_kind(Tags)]
        tables += [(spec.link, spec.own_column) for spec in content.of_kind(Images)]
        return tables

    def _delete_links(self, content: ContentType, ids: Sequence[int]) -> None:
        if not ids:
            return
        for link, column in self._link_tables(content):
            for part in chunks(ids):
                self.conn.execute(delete(link).where(link.c[column].in_(part)))

    def _write_links(
        self, content: ContentType, records: Sequence[ContentRecord], ids: Sequence[int]
    ) -> None:
        for spec in content.links:
            relation = spec.relation
            targets = self.ids[BY_NAME[relation.target].plural]
            rows = [
                {relation.own_column: own_id, relation.target_column: targets[slug]}
                for record, own_id in zip(records, ids, strict=True)
                for slug in getattr(record, spec.record)
            ]
            for part in chunks(rows, INSERT_BATCH):
                self.conn.execute(insert(relation.link), list(part))
        for tags in content.of_kind(Tags):
            tag_rows = [
                {"event_id": own_id, "tag": tag, "position": position}
                for record, own_id in zip(records, ids, strict=True)
                for position, tag in enumerate(getattr(record, tags.record))
            ]
            for part in chunks(tag_rows, INSERT_BATCH):
                self.conn.execute(insert(tags.table), list(part))
        for pictures in content.of_kind(Images):
            image_rows = [
                {pictures.own_column: own_id, "image_id": self.image_ids[digest], "position": position}
                for record, own_id in zip(records, ids, strict=True)
                for position, digest in enumerate(getattr(record, pictures.record))
            ]
            for part in chunks(image_rows, INSERT_BATCH):
                self.conn.execute(insert(pictures.link), list(part))


def unchanged(record: ContentRecord, stored: ContentRecord) -> bool:
    """Whether writing ``record`` over ``stored`` would change nothing (timestamps the record leaves
    out are not compared: the stored ones stand)."""
    unset = {name: None for name in TIMESTAMPS if getattr(record, name) is None}
    return _comparable(record) == _comparable(stored.model_copy(update=unset))

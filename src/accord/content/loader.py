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

from sqlalchemy import Connection, delete, insert, update

from accord.content.document import ContentDocument, ContentRecord, DocumentError, EventRecord, ExhibitRecord
from accord.content.links import links_of
from accord.content.reader import chunks, read_records, slug_map
from accord.content.rows import SECTIONS, TABLE_OF_SECTION, content_row, full_row, table
from accord.models.columns import utcnow
from accord.models.enums import Status
from accord.search.index import refresh as refresh_search

Progress = Callable[[str, int], None]
TIMESTAMPS = ("published_at", "created_at", "updated_at")
INSERT_BATCH = 2_000
SEARCH_KIND = {"partners": "partner", "agreements": "agreement", "exhibits": "exhibit", "events": "event"}


@dataclass
class LoadReport:
    inserted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    changed_ids: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in SECTIONS})


def _no_progress(section: str, done: int) -> None:
    return None


def check_references(document: ContentDocument, known: dict[str, dict[str, int]]) -> None:
    """Every slug a record links to exists in the document or the database."""
    present = {
        section: {record.slug for record in getattr(document, section)} | known[section].keys()
        for section in SECTIONS
    }
    for section in SECTIONS:
        for index, record in enumerate(getattr(document, section)):
            targets: list[tuple[str, list[str], str]] = [
                (spec.field, getattr(record, spec.field), spec.target_section) for spec in links_of(section)
            ]
            if isinstance(record, ExhibitRecord) and record.origin is not None:
                targets.append(("origin", [record.origin], "partners"))
            for field_name, slugs, target in targets:
                if len(set(slugs)) != len(slugs):
                    raise DocumentError(
                        f"{section}[{index}] (slug {record.slug}): {field_name}: a slug is listed twice"
                    )
                for position, slug in enumerate(slugs):
                    if slug not in present[target]:
                        where = field_name if field_name == "origin" else f"{field_name}[{position}]"
                        raise DocumentError(
                            f"{section}[{index}] (slug {record.slug}): {where}: "
                            f"unknown {target[:-1]} {slug!r}"
                        )


def _comparable(record: ContentRecord) -> dict[str, Any]:
    """The record as stored data, with link lists as sets and unset timestamps left out."""
    data = record.model_dump(exclude={name for name in TIMESTAMPS if getattr(record, name) is None})
    for spec in links_of(_section_of(record)):
        data[spec.field] = sorted(data[spec.field])
    return data


def unchanged(incoming: ContentRecord, stored: ContentRecord) -> bool:
    """Whether writing ``incoming`` over ``stored`` would change nothing: link lists compared as
    sets, and the timestamps ``incoming`` leaves out not compared (the stored ones stand). Files
    (``accord fixtures load``, ``accord import``) and mutations (``accord.writes``) both skip such
    a write entirely."""
    unset = {name: None for name in TIMESTAMPS if getattr(incoming, name) is None}
    return _comparable(incoming) == _comparable(stored.model_copy(update=unset))


def _section_of(record: ContentRecord) -> str:
    return {
        "PartnerRecord": "partners",
        "AgreementRecord": "agreements",
        "ExhibitRecord": "exhibits",
        "EventRecord": "events",
    }[type(record).__name__]


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
        # (section, slug) -> row id to insert with: restoring deleted content keeps its global id.
        self.preferred_ids = preferred_ids or {}

    def load(self, document: ContentDocument) -> LoadReport:
        self.ids = {section: slug_map(self.conn, section) for section in SECTIONS}
        check_references(document, self.ids)
        report = LoadReport()
        for section in SECTIONS:
            records: list[ContentRecord] = list(getattr(document, section))
            new = [r for r in records if r.slug not in self.ids[section]]
            old = [r for r in records if r.slug in self.ids[section]]
            self._insert(section, new, report)
            self._upsert_existing(section, old, report)
            refresh_search(self.conn, SEARCH_KIND[section], report.changed_ids[section])
        return report

    def _row(self, section: str, record: ContentRecord) -> dict[str, Any]:
        row = full_row(section, record, self.now)
        if (section, record.slug) in self.preferred_ids:
            row["id"] = self.preferred_ids[section, record.slug]
        if isinstance(record, ExhibitRecord):
            row["origin_id"] = self.ids["partners"][record.origin] if record.origin else None
        return row

    def _insert(self, section: str, records: Sequence[ContentRecord], report: LoadReport) -> None:
        if not records:
            return
        t = table(TABLE_OF_SECTION[section])
        done = 0
        for part in chunks(records, INSERT_BATCH):
            self.conn.execute(insert(t), [self._row(section, record) for record in part])
            done += len(part)
            self.progress(section, done)
        self.ids[section] = slug_map(self.conn, section)
        new_ids = [self.ids[section][record.slug] for record in records]
        self._write_links(section, records, new_ids)
        report.inserted[section] += len(records)
        report.changed_ids[section].extend(new_ids)

    def _upsert_existing(self, section: str, records: Sequence[ContentRecord], report: LoadReport) -> None:
        if not records:
            return
        ids = [self.ids[section][record.slug] for record in records]
        current = {r.slug: r for r in read_records(self.conn, section, ids)}
        t = table(TABLE_OF_SECTION[section])
        changed: list[ContentRecord] = []
        for record in records:
            stored = current[record.slug]
            if unchanged(record, stored):
                report.unchanged[section] += 1
                continue
            values = content_row(section, record)
            if isinstance(record, ExhibitRecord):
                values["origin_id"] = self.ids["partners"][record.origin] if record.origin else None
            values["status"] = record.status.value
            values["updated_at"] = record.updated_at or self.now
            if record.created_at is not None:
                values["created_at"] = record.created_at
            if record.published_at is not None:
                values["published_at"] = record.published_at
            elif stored.published_at is None and record.status is not Status.DRAFT:
                values["published_at"] = self.now
            self.conn.execute(update(t).where(t.c.id == self.ids[section][record.slug]).values(**values))
            changed.append(record)
        changed_ids = [self.ids[section][record.slug] for record in changed]
        self._delete_links(section, changed_ids)
        self._write_links(section, changed, changed_ids)
        report.updated[section] += len(changed)
        report.changed_ids[section].extend(changed_ids)
        self.progress(section, len(records))

    def _delete_links(self, section: str, ids: Sequence[int]) -> None:
        if not ids:
            return
        specs = list(links_of(section))
        tables = [(table(spec.table), spec.own_column) for spec in specs]
        if section == "events":
            tables.append((table("event_tag"), "event_id"))
        for link, column in tables:
            for part in chunks(ids):
                self.conn.execute(delete(link).where(link.c[column].in_(part)))

    def _write_links(self, section: str, records: Sequence[ContentRecord], ids: Sequence[int]) -> None:
        for spec in links_of(section):
            targets = self.ids[spec.target_section]
            rows = [
                {spec.own_column: own_id, spec.target_column: targets[slug]}
                for record, own_id in zip(records, ids, strict=True)
                for slug in getattr(record, spec.field)
            ]
            for part in chunks(rows, INSERT_BATCH):
                self.conn.execute(insert(table(spec.table)), list(part))
        if section == "events":
            tag_rows = [
                {"event_id": own_id, "tag": tag, "position": position}
                for record, own_id in zip(records, ids, strict=True)
                if isinstance(record, EventRecord)
                for position, tag in enumerate(record.tags)
            ]
            for part in chunks(tag_rows, INSERT_BATCH):
                self.conn.execute(insert(table("event_tag")), list(part))

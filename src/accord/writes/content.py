"""Create, update, publish, archive, delete and restore content: one transaction per call.

Each call checks the viewer's role, validates the input as a content record, writes the row and its
links by id, refreshes the search index, records a revision with the record before and after, and
appends to the change log, all before the single commit. Anything that fails rolls all of it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.auth import Viewer, require
from accord.content.document import ContentDocument, ContentRecord, EventRecord, ExhibitRecord
from accord.content.loader import ContentLoader
from accord.content.reader import read_records
from accord.content.rows import content_row, full_row, table
from accord.live.signals import CHANNEL
from accord.models import ChangeLog, Revision
from accord.models.audit import CHANGE_LOG_LOCK
from accord.models.columns import utcnow
from accord.models.enums import Status
from accord.push.events import ContentChange
from accord.push.outbox import enqueue_for_change
from accord.resolvers.errors import BadInput, Conflict, NotFound
from accord.resolvers.ids import expect_type
from accord.search.index import refresh as refresh_search
from accord.writes.records import build_record, slugify

SECTION_OF_TYPE = {"Event": "events", "Partner": "partners", "Agreement": "agreements", "Exhibit": "exhibits"}
TABLE_OF_TYPE = {"Event": "event", "Partner": "partner", "Agreement": "agreement", "Exhibit": "exhibit"}
SEARCH_KIND = {"Event": "event", "Partner": "partner", "Agreement": "agreement", "Exhibit": "exhibit"}
revisions: Table = Revision.__table__  # type: ignore[attr-defined]
changes: Table = ChangeLog.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class LinkInput:
    """A list of global ids in an input, and the link table it fills."""

    input_name: str  # e.g. partnerIds
    record_field: str  # e.g. partners
    link_table: str
    own_column: str
    target_column: str
    target_type: str


LINK_INPUTS: dict[str, tuple[LinkInput, ...]] = {
    "Event": (
        LinkInput("partnerIds", "partners", "event_partner", "event_id", "partner_id", "Partner"),
        LinkInput("agreementIds", "agreements", "event_agreement", "event_id", "agreement_id", "Agreement"),
        LinkInput("exhibitIds", "exhibits", "event_exhibit", "event_id", "exhibit_id", "Exhibit"),
    ),
    "Agreement": (
        LinkInput("partyIds", "parties", "agreement_party", "agreement_id", "partner_id", "Partner"),
    ),
    "Exhibit": (
        LinkInput(
            "agreementIds", "agreements", "exhibit_agreement", "exhibit_id", "agreement_id", "Agreement"
        ),
    ),
    "Partner": (),
}


@dataclass
class WriteRequest:
    """A create or update, as plain values: record fields, link ids, and the exhibit's origin."""

    values: dict[str, Any]
    links: dict[str, list[str] | None] = field(default_factory=dict)  # input name -> global ids (None: keep)
    origin_id: str | None = None
    origin_given: bool = False


@dataclass(frozen=True, slots=True)
class WriteResult:
    type_name: str
    id: int
    change_id: int
    milestone_published: bool


class ContentWriter:
    def __init__(self, engine: AsyncEngine, on_commit: Callable[[WriteResult], Any] | None = None) -> None:
        self.engine = engine
        self.on_commit = on_commit
        # SQLite has one writer at a time. Writers of this process queue here, in order, instead of
        # meeting in SQLite's busy handler, which sleeps in steps of up to 100 ms between retries.
        self._queue = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        if self._queue is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._queue, self.engine.begin() as conn:
            yield conn

    # ------------------------------------------------------------------ entry points

    async def create(self, viewer: Viewer | None, type_name: str, request: WriteRequest) -> WriteResult:
        actor = require(viewer, "create")
        async with self.transaction() as conn:
            result = await self._create(conn, actor, type_name, request)
        return await self._committed(result)

    async def update(
        self,
        viewer: Viewer | None,
        type_name: str,
        global_id: str,
        request: WriteRequest,
        expected: datetime | None,
    ) -> WriteResult:
        actor = require(viewer, "update")
        id_ = expect_type(global_id, type_name)
        async with self.transaction() as conn:
            result = await self._update(conn, actor, type_name, id_, request, expected)
        return await self._committed(result)

    async def set_status(
        self, viewer: Viewer | None, type_name: str, global_id: str, status: Status
    ) -> WriteResult:
        action = "publish" if status is Status.PUBLISHED else "archive"
        actor = require(viewer, action)
        id_ = expect_type(global_id, type_name)
        async with self.transaction() as conn:
            before = await self._lock_and_snapshot(conn, type_name, id_)
            values: dict[str, Any] = {"status": status.value, "updated_at": utcnow()}
            if status is Status.PUBLISHED and before.published_at is None:
                values["published_at"] = values["updated_at"]
            t = table(TABLE_OF_TYPE[type_name])
            await conn.execute(update(t).where(t.c.id == id_).values(**values))
            result = await self._finish(conn, actor, type_name, id_, action, before)
        return await self._committed(result)

    async def delete(self, viewer: Viewer | None, type_name: str, global_id: str) -> WriteResult:
        actor = require(viewer, "delete")
        id_ = expect_type(global_id, type_name)
        async with self.transaction() as conn:
            before = await self._lock_and_snapshot(conn, type_name, id_)
            t = table(TABLE_OF_TYPE[type_name])
            await conn.execute(delete(t).where(t.c.id == id_))
            result = await self._finish(conn, actor, type_name, id_, "delete", before, after_exists=False)
        return await self._committed(result)

    async def restore(self, viewer: Viewer | None, revision_id: int) -> WriteResult:
        """Put a piece of content back as a revision left it (a deletion: as it was before)."""
        actor = require(viewer, "restore")
        async with self.transaction() as conn:
            revision = (await conn.execute(select(revisions).where(revisions.c.id == revision_id))).first()
            if revision is None:
                raise NotFound(f"revisionId: no revision {revision_id}", field="revisionId")
            snapshot = revision.before if revision.action == "delete" else revision.after
            if snapshot is None:
                raise BadInput("revisionId: that revision holds no content to restore", field="revisionId")
            type_name, id_ = revision.content_type, revision.content_id
            before = await self._snapshot(conn, type_name, id_)
            await self._restore_record(conn, type_name, id_, snapshot)
            result = await self._finish(conn, actor, type_name, id_, "restore", before)
        return await self._committed(result)

    # ------------------------------------------------------------------ steps

    async def _committed(self, result: WriteResult) -> WriteResult:
        if self.on_commit is not None:
            outcome = self.on_commit(result)
            if hasattr(outcome, "__await__"):
                await outcome
        return result

    async def _create(
        self, conn: AsyncConnection, actor: Viewer, type_name: str, request: WriteRequest
    ) -> WriteResult:
        section = SECTION_OF_TYPE[type_name]
        values = dict(request.values)
        if not values.get("slug"):
            values["slug"] = await self._free_slug(conn, type_name, slugify(_english_title(values)))
        record = build_record(section, values)
        await self._check_slug_free(conn, type_name, record.slug, own_id=None)
        now = utcnow()
        row = full_row(section, record, now)
        row["created_at"] = row["updated_at"] = now
        t = table(TABLE_OF_TYPE[type_name])
        try:
            id_ = (await conn.execute(insert(t).values(**row).returning(t.c.id))).scalar_one()
        except IntegrityError:
            raise Conflict(f"input.slug: {record.slug!r} is taken", field="input.slug") from None
        # The links are checked after the row exists: a missing id rolls the insert back too.
        await self._write_links(conn, type_name, id_, request, replace=False)
        await self._write_tags(conn, record, id_, replace=False)
        return await self._finish(conn, actor, type_name, id_, "create", None)

    async def _update(
        self,
        conn: AsyncConnection,
        actor: Viewer,
        type_name: str,
        id_: int,
        request: WriteRequest,
        expected: datetime | None,
    ) -> WriteResult:
        section = SECTION_OF_TYPE[type_name]
        before = await self._lock_and_snapshot(conn, type_name, id_)
        if expected is not None and expected.tzinfo is None:
            expected = expected.replace(tzinfo=UTC)  # a time without an offset is read as UTC
        if expected is not None and before.updated_at != expected:
            raise Conflict(
                f"expectedUpdatedAt: the {type_name.lower()} changed since you read it "
                f"(now updated at {before.updated_at}); reload and apply your change again",
                field="expectedUpdatedAt",
            )
        merged = before.model_dump() | request.values
        record = build_record(section, merged)
        if record.slug != before.slug:
            await self._check_slug_free(conn, type_name, record.slug, own_id=id_)
        values = content_row(section, record) | {"slug": record.slug, "updated_at": utcnow()}
        if "status" in request.values:
            values["status"] = record.status.value
            if record.status is Status.PUBLISHED and before.published_at is None:
                values["published_at"] = values["updated_at"]
        t = table(TABLE_OF_TYPE[type_name])
        try:
            await conn.execute(update(t).where(t.c.id == id_).values(**values))
        except IntegrityError:
            raise Conflict(f"input.slug: {record.slug!r} is taken", field="input.slug") from None
        await self._write_links(conn, type_name, id_, request, replace=True)
        if "tags" in request.values:
            await self._write_tags(conn, record, id_, replace=True)
        return await self._finish(conn, actor, type_name, id_, "update", before)

    async def _finish(
        self,
        conn: AsyncConnection,
        actor: Viewer,
        type_name: str,
        id_: int,
        action: str,
        before: ContentRecord | None,
        *,
        after_exists: bool = True,
    ) -> WriteResult:
        await conn.run_sync(lambda sync: refresh_search(sync, SEARCH_KIND[type_name], [id_]))
        after = await self._snapshot(conn, type_name, id_) if after_exists else None
        now = utcnow()
        await conn.execute(
            insert(revisions).values(
                content_type=type_name,
                content_id=id_,
                action=action,
                token_name=actor.name,
                at=now,
                before=before.model_dump(mode="json") if before else None,
                after=after.model_dump(mode="json") if after else None,
            )
        )
        published = _is_published_milestone(after) and not _is_published_milestone(before)
        await lock_change_log(conn)
        change_id = (
            await conn.execute(
                insert(changes)
                .values(
                    at=now,
                    content_type=type_name,
                    content_id=id_,
                    action=action,
                    milestone_published=published,
                )
                .returning(changes.c.id)
            )
        ).scalar_one()
        # -- push delivery (accord.push.outbox): the webhook and WebSub deliveries this write owes,
        # inserted in its transaction. This one call moves behind the writer's commit hook. --
        await enqueue_for_change(
            conn, ContentChange(type_name, id_, action, change_id, published, before, after)
        )
        if conn.dialect.name == "postgresql":
            # Delivered at commit, and only if the transaction commits.
            await conn.execute(
                text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": str(change_id)}
            )
        return WriteResult(type_name=type_name, id=id_, change_id=change_id, milestone_published=published)

    async def _snapshot(self, conn: AsyncConnection, type_name: str, id_: int) -> ContentRecord | None:
        section = SECTION_OF_TYPE[type_name]
        found = await conn.run_sync(lambda sync: read_records(sync, section, [id_]))
        return found[0] if found else None

    async def _lock_and_snapshot(self, conn: AsyncConnection, type_name: str, id_: int) -> ContentRecord:
        t = table(TABLE_OF_TYPE[type_name])
        query = select(t.c.id).where(t.c.id == id_)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        if (await conn.execute(query)).first() is None:
            raise NotFound(f"id: no {type_name.lower()} with that id", field="id")
        snapshot = await self._snapshot(conn, type_name, id_)
        assert snapshot is not None
        return snapshot

    async def _free_slug(self, conn: AsyncConnection, type_name: str, base: str) -> str:
        t = table(TABLE_OF_TYPE[type_name])
        taken = set((await conn.execute(select(t.c.slug).where(t.c.slug.like(f"{base}%")))).scalars())
        if base not in taken:
            return base
        return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)

    async def _check_slug_free(
        self, conn: AsyncConnection, type_name: str, slug: str, own_id: int | None
    ) -> None:
        t = table(TABLE_OF_TYPE[type_name])
        found = (await conn.execute(select(t.c.id).where(t.c.slug == slug))).scalar()
        if found is not None and found != own_id:
            raise Conflict(
                f"input.slug: {slug!r} is taken by another {type_name.lower()}", field="input.slug"
            )

    async def _write_links(
        self, conn: AsyncConnection, type_name: str, id_: int, request: WriteRequest, *, replace: bool
    ) -> None:
        for spec in LINK_INPUTS[type_name]:
            global_ids = request.links.get(spec.input_name)
            if global_ids is None:
                continue
            path = f"input.{spec.input_name}"
            targets = [
                expect_type(g, spec.target_type, field=f"{path}[{i}]") for i, g in enumerate(global_ids)
            ]
            if len(set(targets)) != len(targets):
                raise BadInput(f"{path}: an id is listed twice", field=path)
            await self._check_exist(conn, spec.target_type, targets, global_ids, path)
            link = table(spec.link_table)
            if replace:
                await conn.execute(delete(link).where(link.c[spec.own_column] == id_))
            if targets:
                await conn.execute(
                    insert(link), [{spec.own_column: id_, spec.target_column: target} for target in targets]
                )
        if type_name == "Exhibit" and request.origin_given:
            origin = None
            if request.origin_id is not None:
                origin = expect_type(request.origin_id, "Partner", field="input.originId")
                await self._check_exist(conn, "Partner", [origin], [request.origin_id], "input.originId")
            t = table("exhibit")
            await conn.execute(update(t).where(t.c.id == id_).values(origin_id=origin))

    async def _check_exist(
        self, conn: AsyncConnection, type_name: str, ids: Sequence[int], global_ids: Sequence[str], path: str
    ) -> None:
        t = table(TABLE_OF_TYPE[type_name])
        found = set((await conn.execute(select(t.c.id).where(t.c.id.in_(ids)))).scalars()) if ids else set()
        for position, (id_, global_id) in enumerate(zip(ids, global_ids, strict=True)):
            if id_ not in found:
                where = path if path.endswith("Id") else f"{path}[{position}]"
                raise NotFound(f"{where}: no {type_name.lower()} with id {global_id}", field=where)

    async def _write_tags(
        self, conn: AsyncConnection, record: ContentRecord, id_: int, *, replace: bool
    ) -> None:
        if not isinstance(record, EventRecord):
            return
        tags = table("event_tag")
        if replace:
            await conn.execute(delete(tags).where(tags.c.event_id == id_))
        if record.tags:
            await conn.execute(
                insert(tags),
                [{"event_id": id_, "tag": tag, "position": n} for n, tag in enumerate(record.tags)],
            )

    async def _restore_record(
        self, conn: AsyncConnection, type_name: str, id_: int, snapshot: dict[str, Any]
    ) -> None:
        section = SECTION_OF_TYPE[type_name]
        # The content comes back as it was, but the restore is a new change: updatedAt moves on (so
        # caches, feeds and expectedUpdatedAt see it), it never goes back in time.
        record = build_record(section, snapshot | {"updated_at": utcnow()})
        try:
            await self._check_slug_free(conn, type_name, record.slug, own_id=id_)
        except Conflict as exc:
            raise Conflict(f"revisionId: {exc}".replace("input.slug: ", ""), field="revisionId") from None
        t = table(TABLE_OF_TYPE[type_name])
        # The loader matches by slug: give the row back the slug it had in the revision first.
        await conn.execute(update(t).where(t.c.id == id_).values(slug=record.slug))
        document = ContentDocument.model_validate({section: [record]})

        def load(sync: Connection) -> None:
            ContentLoader(sync, preferred_ids={(section, record.slug): id_}).load(document)

        try:
            await conn.run_sync(load)
        except ValueError as exc:  # a link to content that no longer exists
            raise NotFound(f"revisionId: cannot restore: {exc}", field="revisionId") from None


async def lock_change_log(conn: AsyncConnection) -> None:
    """Change-log ids must become visible in order: readers resume from the newest id they saw, so
    a lower id committed after a higher one would be skipped. On PostgreSQL a transaction-level
    advisory lock, taken just before the row is added and held to commit, makes writers commit
    their change-log rows one after the other. (SQLite writers are serialised already.)"""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})


def _english_title(values: dict[str, Any]) -> str:
    localized = values.get("title") or values.get("name") or {}
    return str(localized.get("en") or "") if isinstance(localized, dict) else ""


def _is_published_milestone(record: ContentRecord | None) -> bool:
    return isinstance(record, EventRecord) and record.milestone and record.status is Status.PUBLISHED


def origin_record(record: ContentRecord) -> str | None:
    return record.origin if isinstance(record, ExhibitRecord) else None

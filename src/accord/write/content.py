"""Create, update, publish, archive, delete and restore content: one transaction per call.

Each call checks the viewer's role, validates the input as a content record, writes the row and its
links by id, refreshes the search index, records a revision with the record before and after, and
appends to the change log, all before the single commit. Anything that fails rolls all of it back.

Other layers hear of a write through hooks: ``in_transaction`` hooks run inside the transaction
once the change-log row exists (a PostgreSQL NOTIFY, an outbox row), so what they do commits with
the write or not at all; ``after_commit`` hooks run once it has committed.

Publishing at a set time is two writes through here: ``publish(at=...)`` records the schedule (a
``schedule`` revision; the content stays as it is, unseen by anonymous readers), and when the time
comes the scheduler (accord.schedule) calls ``publish_due``, which publishes it like any publish:
one transaction, a ``publish`` revision, a change-log row, and the same hooks. Whatever listens to
the hooks (the live layer, and push delivery when it is wired in) hears of scheduled publishes
without knowing they were scheduled.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.content.document import DOCUMENT_TYPE, ContentRecord
from accord.content.fields import Images, Origin, Tags
from accord.content.loader import ContentLoader, unchanged
from accord.content.model import BY_NAME, ContentType
from accord.content.reader import read_records
from accord.content.rows import content_row, full_row
from accord.content.search_index import refresh as refresh_search
from accord.core.auth import Role, Viewer, require
from accord.core.errors import BadInput, Conflict, NotFound
from accord.core.ids import NO_ROW, expect_type, from_global_id
from accord.core.moments import publish_moment
from accord.core.row_types import RevisionRow
from accord.core.tables import changes, images, revisions
from accord.models.audit import CHANGE_LOG_LOCK
from accord.models.columns import utcnow
from accord.models.enums import Status
from accord.write.records import build_record, slugify


@dataclass
class WriteRequest:
    """A create or update, as plain values: record fields, link ids, and the origin."""

    values: dict[str, Any]
    links: dict[str, list[str] | None] = field(default_factory=dict)  # input name -> global ids (None: keep)
    origin_id: str | None = None
    origin_given: bool = False


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What a committed write did. ``change_id`` is None when it changed nothing (and so wrote
    nothing: no revision, no change-log row)."""

    type_name: str
    id: int
    change_id: int | None
    milestone_published: bool = False
    action: str = ""
    before: ContentRecord | None = None
    after: ContentRecord | None = None
    # A restore whose revision was scheduled for a time now past: the content stayed unpublished
    # (and unscheduled), and the reply says so (accord.schema.roots).
    schedule_lapsed: datetime | None = None


# The author of a scheduled publish's revision: no token can have this name (accord.core.auth), so
# history tells it from a person; the ``schedule`` revision before it names who scheduled it.
SCHEDULER = Viewer(name="(scheduler)", role=Role.EDITOR)

InTransactionHook = Callable[[AsyncConnection, WriteResult], Awaitable[None]]
AfterCommitHook = Callable[[WriteResult], Awaitable[None]]


class _NothingChanged(Exception):
    """An update that would write what is stored already: the transaction is rolled back."""

    def __init__(self, result: WriteResult) -> None:
        super().__init__("nothing changed")
        self.result = result


class ContentWriter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.in_transaction: list[InTransactionHook] = []
        self.after_commit: list[AfterCommitHook] = []
        # SQLite has one writer at a time. Writers of this process queue here, in order, instead of
        # meeting in SQLite's busy handler, which sleeps in steps of up to 100 ms between retries.
        self._queue: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self._queue, self.engine.begin() as conn:
            yield conn

    # ------------------------------------------------------------------ entry points

    async def create(self, viewer: Viewer | None, content: ContentType, request: WriteRequest) -> WriteResult:
        actor = require(viewer, "create")
        async with self.transaction() as conn:
            result = await self._create(conn, actor, content, request)
        return await self.committed(result)

    async def update(
        self,
        viewer: Viewer | None,
        content: ContentType,
        global_id: str,
        request: WriteRequest,
        expected: datetime | None,
    ) -> WriteResult:
        actor = require(viewer, "update")
        id_ = expect_type(global_id, content.name)
        try:
            async with self.transaction() as conn:
                result = await self._update(conn, actor, content, id_, request, expected)
        except _NothingChanged as nothing:
            return nothing.result
        return await self.committed(result)

    async def set_status(
        self, viewer: Viewer | None, content: ContentType, global_id: str, status: Status
    ) -> WriteResult:
        """Publish now, or archive. Either cancels a scheduled publish."""
        action = "publish" if status is Status.PUBLISHED else "archive"
        actor = require(viewer, action)
        id_ = expect_type(global_id, content.name)
        async with self.transaction() as conn:
            before = await self.lock_and_snapshot(conn, content, id_)
            values: dict[str, Any] = {"status": status.value, "scheduled_at": None, "updated_at": utcnow()}
            if status is Status.PUBLISHED and before.published_at is None:
                values["published_at"] = values["updated_at"]
            table = content.table
            await conn.execute(update(table).where(table.c.id == id_).values(**values))
            result = await self.finish(conn, actor, content, id_, action, before)
        return await self.committed(result)

    async def publish(
        self, viewer: Viewer | None, content: ContentType, global_id: str, at: datetime | None
    ) -> WriteResult:
        """Publish now (``at`` None or past), or schedule the publish for ``at``: the content then
        stays as it is (a draft, or archived) until the scheduler publishes it."""
        actor = require(viewer, "publish")
        id_ = expect_type(global_id, content.name)
        moment = publish_moment(at, now=utcnow())
        if moment is None:
            return await self.set_status(viewer, content, global_id, Status.PUBLISHED)
        async with self.transaction() as conn:
            before = await self.lock_and_snapshot(conn, content, id_)
            if before.status is Status.PUBLISHED:
                raise BadInput(
                    f"at: the {content.singular} is published already; only drafts and archived "
                    "content can be scheduled",
                    field="at",
                )
            table = content.table
            await conn.execute(
                update(table).where(table.c.id == id_).values(scheduled_at=moment, updated_at=utcnow())
            )
            result = await self.finish(conn, actor, content, id_, "schedule", before)
        return await self.committed(result)

    async def cancel_schedule(self, viewer: Viewer | None, global_id: str) -> WriteResult:
        """Take a scheduled publish back; the content stays as it is. Content with nothing scheduled
        (published in the meantime, say) is answered as it is, and nothing is written."""
        actor = require(viewer, "publish")
        type_name, id_ = from_global_id(global_id)
        content = BY_NAME[type_name]
        if id_ == NO_ROW:
            raise NotFound(f"id: no {content.singular} with that id", field="id")
        try:
            async with self.transaction() as conn:
                before = await self.lock_and_snapshot(conn, content, id_)
                if before.scheduled_at is None:
                    raise _NothingChanged(WriteResult(content.name, id_, None))
                table = content.table
                await conn.execute(
                    update(table).where(table.c.id == id_).values(scheduled_at=None, updated_at=utcnow())
                )
                result = await self.finish(conn, actor, content, id_, "unschedule", before)
        except _NothingChanged as nothing:
            return nothing.result
        return await self.committed(result)

    async def publish_due(self, content: ContentType, id_: int, now: datetime) -> WriteResult | None:
        """The scheduler's publish of one item whose time has come (None: nothing to do, because
        another process has just published it, or somebody changed or cancelled the schedule).

        Exactly one process publishes each item. On PostgreSQL the row is locked ``FOR UPDATE SKIP
        LOCKED`` with the schedule checked in the same statement: a process that finds it locked
        skips it, and one that comes after the commit finds no schedule. On SQLite the transaction
        holds the database's write lock from its start (accord.write.transaction), and the schedule
        is read under it. ``publishedAt`` is the scheduled time, not the moment this runs."""
        table = content.table
        async with self.transaction() as conn:
            query = select(table.c.scheduled_at).where(
                table.c.id == id_, table.c.scheduled_at.is_not(None), table.c.scheduled_at <= now
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            due = (await conn.execute(query)).scalar()
            if due is None:
                return None
            before = await self._snapshot(conn, content, id_)
            assert before is not None
            values: dict[str, Any] = {
                "status": Status.PUBLISHED.value,
                "scheduled_at": None,
                "updated_at": utcnow(),
            }
            if before.published_at is None:
                values["published_at"] = due
            await conn.execute(update(table).where(table.c.id == id_).values(**values))
            result = await self.finish(conn, SCHEDULER, content, id_, "publish", before)
        return await self.committed(result)

    async def delete(self, viewer: Viewer | None, content: ContentType, global_id: str) -> WriteResult:
        actor = require(viewer, "delete")
        id_ = expect_type(global_id, content.name)
        async with self.transaction() as conn:
            before = await self.lock_and_snapshot(conn, content, id_)
            table = content.table
            await conn.execute(delete(table).where(table.c.id == id_))
            result = await self.finish(conn, actor, content, id_, "delete", before, after_exists=False)
        return await self.committed(result)

    async def restore(self, viewer: Viewer | None, revision_id: int) -> WriteResult:
        """Put a piece of content back as a revision left it (a deletion: as it was before)."""
        actor = require(viewer, "restore")
        async with self.transaction() as conn:
            found = await conn.execute(select(revisions).where(revisions.c.id == revision_id))
            revision: RevisionRow | None = found.first()
            if revision is None:
                raise NotFound(f"revisionId: no revision {revision_id}", field="revisionId")
            if revision.content_type not in BY_NAME:  # an image's: its bytes are not in the revision
                raise BadInput(
                    f"revisionId: a revision of {revision.content_type.lower()} content cannot be restored",
                    field="revisionId",
                )
            snapshot = revision.before if revision.action == "delete" else revision.after
            if snapshot is None:
                raise BadInput("revisionId: that revision holds no content to restore", field="revisionId")
            content, id_ = BY_NAME[revision.content_type], revision.content_id
            before = await self._snapshot(conn, content, id_)
            lapsed = await self._restore_record(conn, content, id_, snapshot)
            result = await self.finish(conn, actor, content, id_, "restore", before)
        return await self.committed(replace(result, schedule_lapsed=lapsed))

    # ------------------------------------------------------------------ steps

    async def committed(self, result: WriteResult) -> WriteResult:
        """Runs the after-commit hooks of a committed write."""
        for hook in self.after_commit:
            await hook(result)
        return result

    async def _create(
        self, conn: AsyncConnection, actor: Viewer, content: ContentType, request: WriteRequest
    ) -> WriteResult:
        values = dict(request.values)
        if not values.get("slug"):
            values["slug"] = await self._free_slug(conn, content, slugify(_english_title(content, values)))
        record = build_record(content, values)
        await self._check_slug_free(conn, content, record.slug, own_id=None)
        links = await self._resolve_links(conn, content, request)
        now = utcnow()
        row = full_row(content, record, now)
        row["created_at"] = row["updated_at"] = now
        table = content.table
        try:
            id_ = (await conn.execute(insert(table).values(**row).returning(table.c.id))).scalar_one()
        except IntegrityError:
            raise Conflict(f"input.slug: {record.slug!r} is taken", field="input.slug") from None
        await self._write_links(conn, content, id_, links, replace=False)
        await self._write_tags(conn, content, record, id_, replace=False)
        return await self.finish(conn, actor, content, id_, "create", None)

    async def _update(
        self,
        conn: AsyncConnection,
        actor: Viewer,
        content: ContentType,
        id_: int,
        request: WriteRequest,
        expected: datetime | None,
    ) -> WriteResult:
        before = await self.lock_and_snapshot(conn, content, id_)
        if expected is not None and expected.tzinfo is None:
            expected = expected.replace(tzinfo=UTC)  # a time without an offset is read as UTC
        if expected is not None and before.updated_at != expected:
            raise Conflict(
                f"expectedUpdatedAt: the {content.singular} changed since you read it "
                f"(now updated at {before.updated_at}); reload and apply your change again",
                field="expectedUpdatedAt",
            )
        record = build_record(content, before.model_dump() | request.values)
        links = await self._resolve_links(conn, content, request)
        if record.slug != before.slug:
            await self._check_slug_free(conn, content, record.slug, own_id=id_)
        values = content_row(content, record) | {"slug": record.slug, "updated_at": utcnow()}
        if "status" in request.values:
            values["status"] = record.status.value
            if record.status is Status.PUBLISHED and before.published_at is None:
                values["published_at"] = values["updated_at"]
        table = content.table
        try:
            await conn.execute(update(table).where(table.c.id == id_).values(**values))
        except IntegrityError:
            raise Conflict(f"input.slug: {record.slug!r} is taken", field="input.slug") from None
        await self._write_links(conn, content, id_, links, replace=True)
        if any(spec.record in request.values for spec in content.of_kind(Tags)):
            await self._write_tags(conn, content, record, id_, replace=True)
        after = await self._snapshot(conn, content, id_)
        if after is not None and unchanged(after.model_copy(update={"updated_at": None}), before):
            # Written back as it was: undo, and leave no revision, change or new updatedAt.
            raise _NothingChanged(WriteResult(content.name, id_, None))
        return await self.finish(conn, actor, content, id_, "update", before)

    async def finish(
        self,
        conn: AsyncConnection,
        actor: Viewer,
        content: ContentType,
        id_: int,
        action: str,
        before: ContentRecord | None,
        *,
        after_exists: bool = True,
    ) -> WriteResult:
        """Records the write of an item: its search entry, then its revision and change."""
        await conn.run_sync(lambda sync: refresh_search(sync, content, [id_]))
        after = await self._snapshot(conn, content, id_) if after_exists else None
        published = is_published_milestone(after) and not is_published_milestone(before)
        result = WriteResult(content.name, id_, None, published, action, before, after)
        return await self.record_change(
            conn,
            actor,
            result,
            before.model_dump(mode="json") if before else None,
            after.model_dump(mode="json") if after else None,
        )

    async def record_change(
        self,
        conn: AsyncConnection,
        actor: Viewer,
        result: WriteResult,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> WriteResult:
        """The revision (``before`` and ``after`` as JSON) and the change-log row of a write, then
        the in-transaction hooks; the result with its change id. Every writer ends here."""
        now = utcnow()
        await conn.execute(
            insert(revisions).values(
                content_type=result.type_name,
                content_id=result.id,
                action=result.action,
                token_name=actor.name,
                at=now,
                before=before,
                after=after,
            )
        )
        await lock_change_log(conn)
        change_id = (
            await conn.execute(
                insert(changes)
                .values(
                    at=now,
                    content_type=result.type_name,
                    content_id=result.id,
                    action=result.action,
                    milestone_published=result.milestone_published,
                )
                .returning(changes.c.id)
            )
        ).scalar_one()
        result = dataclasses.replace(result, change_id=change_id)
        for hook in self.in_transaction:
            await hook(conn, result)
        return result

    async def _snapshot(self, conn: AsyncConnection, content: ContentType, id_: int) -> ContentRecord | None:
        found = await conn.run_sync(lambda sync: read_records(sync, content, [id_]))
        return found[0] if found else None

    async def lock_and_snapshot(self, conn: AsyncConnection, content: ContentType, id_: int) -> ContentRecord:
        """Locks an item for a write (PostgreSQL) and reads its record; NotFound when there is none."""
        table = content.table
        query = select(table.c.id).where(table.c.id == id_)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        if (await conn.execute(query)).first() is None:
            raise NotFound(f"id: no {content.singular} with that id", field="id")
        snapshot = await self._snapshot(conn, content, id_)
        assert snapshot is not None
        return snapshot

    async def _free_slug(self, conn: AsyncConnection, content: ContentType, base: str) -> str:
        table = content.table
        taken = set((await conn.execute(select(table.c.slug).where(table.c.slug.like(f"{base}%")))).scalars())
        if base not in taken:
            return base
        return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)

    async def _check_slug_free(
        self, conn: AsyncConnection, content: ContentType, slug: str, own_id: int | None
    ) -> None:
        table = content.table
        found = (await conn.execute(select(table.c.id).where(table.c.slug == slug))).scalar()
        if found is not None and found != own_id:
            raise Conflict(f"input.slug: {slug!r} is taken by another {content.singular}", field="input.slug")

    async def _resolve_links(
        self, conn: AsyncConnection, content: ContentType, request: WriteRequest
    ) -> dict[str, list[int] | None]:
        """The row ids of the request's links (its origin under the origin's input name), each
        checked to exist: before the first row is written. None: the link list is left as it is."""
        resolved: dict[str, list[int] | None] = {}
        for spec in content.links:
            global_ids = request.links.get(spec.input_name)
            if global_ids is None:
                continue
            path = f"input.{spec.input_name}"
            target = BY_NAME[spec.target]
            targets = [expect_type(g, spec.target, field=f"{path}[{i}]") for i, g in enumerate(global_ids)]
            if len(set(targets)) != len(targets):
                raise BadInput(f"{path}: an id is listed twice", field=path)
            if targets:
                await _check_exist(conn, target.table, target.singular, targets, global_ids, path)
            resolved[spec.input_name] = targets
        for pictures in content.of_kind(Images):
            global_ids = request.links.get(pictures.input_name)
            if global_ids is None:
                continue
            path = f"input.{pictures.input_name}"
            if len(global_ids) > pictures.max_items:
                raise BadInput(
                    f"{path}: at most {pictures.max_items} images per {content.singular} "
                    f"({len(global_ids)} given)",
                    field=path,
                )
            targets = [expect_type(g, "Image", field=f"{path}[{i}]") for i, g in enumerate(global_ids)]
            if len(set(targets)) != len(targets):
                raise BadInput(f"{path}: an image is listed twice", field=path)
            await _check_exist(conn, images, "image", targets, global_ids, path)
            resolved[pictures.input_name] = targets
        for origin in content.of_kind(Origin):
            if not request.origin_given:
                continue
            path = f"input.{origin.input_name}"
            chosen: list[int] = []
            if request.origin_id is not None:
                chosen = [expect_type(request.origin_id, origin.target, field=path)]
                source = BY_NAME[origin.target]
                await _check_exist(conn, source.table, source.singular, chosen, [request.origin_id], path)
            resolved[origin.input_name] = chosen
        return resolved

    async def _write_links(
        self,
        conn: AsyncConnection,
        content: ContentType,
        id_: int,
        resolved: dict[str, list[int] | None],
        *,
        replace: bool,
    ) -> None:
        for spec in content.links:
            targets = resolved.get(spec.input_name)
            if targets is not None:
                own, other = spec.relation.own_column, spec.relation.target_column
                rows = [{own: id_, other: t} for t in targets]
                await _put_rows(conn, spec.relation.link, own, id_, rows, replace=replace)
        for pictures in content.of_kind(Images):
            chosen = resolved.get(pictures.input_name)
            if chosen is not None:
                own = pictures.own_column
                rows = [{own: id_, "image_id": image, "position": n} for n, image in enumerate(chosen)]
                await _put_rows(conn, pictures.link, own, id_, rows, replace=replace)
        for origin in content.of_kind(Origin):
            if origin.input_name in resolved:
                target = resolved[origin.input_name]
                table = content.table
                await conn.execute(
                    update(table)
                    .where(table.c.id == id_)
                    .values({origin.column: target[0] if target else None})
                )

    async def _write_tags(
        self, conn: AsyncConnection, content: ContentType, record: ContentRecord, id_: int, *, replace: bool
    ) -> None:
        for spec in content.of_kind(Tags):
            rows = [
                {"event_id": id_, "tag": tag, "position": n}
                for n, tag in enumerate(getattr(record, spec.record))
            ]
            await _put_rows(conn, spec.table, "event_id", id_, rows, replace=replace)

    async def _restore_record(
        self, conn: AsyncConnection, content: ContentType, id_: int, snapshot: dict[str, Any]
    ) -> datetime | None:
        """Write the revision's record back; returns the revision's scheduled time when it has
        passed (the content then comes back unpublished and unscheduled), else None."""
        # The content comes back as it was, but the restore is a new change: updatedAt moves on (so
        # caches, feeds and expectedUpdatedAt see it), it never goes back in time.
        now = utcnow()
        record = build_record(content, snapshot | {"updated_at": now})
        lapsed = record.scheduled_at
        if lapsed is not None and lapsed > now:
            lapsed = None  # still ahead: the schedule comes back with the content
        if lapsed is not None:
            # Publishing it now would put it out late, unannounced by anybody: it stays unpublished.
            record = record.model_copy(update={"scheduled_at": None})
        try:
            await self._check_slug_free(conn, content, record.slug, own_id=id_)
        except Conflict as exc:
            raise Conflict(f"revisionId: {exc}".replace("input.slug: ", ""), field="revisionId") from None
        table = content.table
        # The loader matches by slug: give the row back the slug it had in the revision first.
        await conn.execute(update(table).where(table.c.id == id_).values(slug=record.slug))
        document = DOCUMENT_TYPE.model_validate({content.plural: [record]})

        def load(sync: Connection) -> None:
            ContentLoader(sync, preferred_ids={(content.plural, record.slug): id_}).load(document)

        try:
            await conn.run_sync(load)
        except ValueError as exc:  # a link to content that no longer exists
            raise NotFound(f"revisionId: cannot restore: {exc}", field="revisionId") from None
        return lapsed


async def lock_change_log(conn: AsyncConnection) -> None:
    """Change-log ids must become visible in order: readers resume from the newest id they saw, so
    a lower id committed after a higher one would be skipped. On PostgreSQL a transaction-level
    advisory lock, taken just before the row is added and held to commit, makes writers commit
    their change-log rows one after the other. (SQLite writers are serialised already.)"""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})


async def _check_exist(
    conn: AsyncConnection, table: Table, singular: str, ids: Sequence[int], given: Sequence[str], path: str
) -> None:
    """NotFound naming the first of ``ids`` that ``table`` does not hold (one query, even for none)."""
    found = set((await conn.execute(select(table.c.id).where(table.c.id.in_(ids)))).scalars())
    for position, (id_, global_id) in enumerate(zip(ids, given, strict=True)):
        if id_ not in found:
            where = path if path.endswith("Id") else f"{path}[{position}]"
            raise NotFound(f"{where}: no {singular} with id {global_id}", field=where)


async def _put_rows(
    conn: AsyncConnection,
    table: Table,
    own_column: str,
    id_: int,
    rows: list[dict[str, Any]],
    *,
    replace: bool,
) -> None:
    """An item's rows in a link or tag table: its old ones deleted first when ``replace``."""
    if replace:
        await conn.execute(delete(table).where(table.c[own_column] == id_))
    if rows:
        await conn.execute(insert(table), rows)


def _english_title(content: ContentType, values: dict[str, Any]) -> str:
    localized = values.get(content.title.record) or {}
    return str(localized.get("en") or "") if isinstance(localized, dict) else ""


def is_published_milestone(record: ContentRecord | None) -> bool:
    if record is None or record.status is not Status.PUBLISHED:
        return False
    flag = record.content_type.milestone_flag
    return flag is not None and bool(getattr(record, flag))

"""Image writes: uploads, descriptions, attachments and deletions, each one transaction of the
content writer (accord.write.content).

An upload is checked and processed (Pillow, off the event loop) before the transaction opens: a
refused file never holds the write queue or a lock, and stores nothing. Inside the transaction the
image is stored (accord.media.store); an exhibit or event it is shown on gets its new image list
recorded like any other link: a revision of the item (its record's ``images`` before and after) and
a change-log row. A change to the image itself (a new one, new alt text or credit, its deletion)
gets a revision of the image, without its bytes, and a change-log row. So caches, feeds and
subscribers see every image write, on every instance, through the writer's hooks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from accord.content.document import ContentRecord
from accord.content.model import BY_SINGULAR, ContentType
from accord.core.auth import Viewer, require
from accord.core.errors import NotFound
from accord.core.ids import expect_type
from accord.media import (
    IMAGE_TYPE,
    ImageDescription,
    MediaLimits,
    Owner,
    OwnerKind,
    StoredImage,
    attach_image,
    delete_image,
    describe_image,
    detach_image,
    find_image,
    get_image,
    owners_of,
    process_image_async,
    save_image,
    update_image,
)
from accord.write.content import ContentWriter, WriteResult


@dataclass(frozen=True, slots=True)
class OwnerRef:
    """An exhibit or event named in a mutation: its type, its global id, and the argument it came in."""

    content: ContentType
    global_id: str
    field: str


@dataclass(frozen=True, slots=True)
class _Locked:
    content: ContentType
    id: int
    before: ContentRecord  # before the write

    @property
    def owner(self) -> Owner:
        return Owner(OwnerKind(self.content.singular), self.id)


KEEP: Any = object()  # updateImage: an argument left out keeps what is stored


class ImageWriter:
    def __init__(self, writer: ContentWriter, limits: MediaLimits) -> None:
        self.writer = writer
        self.limits = limits

    async def upload(
        self, viewer: Viewer | None, data: bytes, description: ImageDescription, owners: Sequence[OwnerRef]
    ) -> tuple[StoredImage, bool]:
        """Store an upload and show it on ``owners``; the image, and whether it is a new one (the
        same picture uploaded again is the same image, described anew). ImageRefused (a BadInput)
        says why a file is refused."""
        actor = require(viewer, "create")
        ids = [(ref, expect_type(ref.global_id, ref.content.name, field=ref.field)) for ref in owners]
        processed = await process_image_async(data, self.limits)
        results: list[WriteResult] = []
        async with self.writer.transaction() as conn:
            locked = [await self._lock(conn, ref, id_) for ref, id_ in ids]
            before = await conn.run_sync(find_image, processed.content_hash)
            image, created = await conn.run_sync(save_image, processed, description)
            if created or image != before:
                action = "create" if created else "update"
                results.append(await self._record(conn, actor, image.id, action, before, image))
            for item in locked:
                if await conn.run_sync(attach_image, image.id, item.owner):
                    results.append(await self._record_owner(conn, actor, item))
        await self._committed(results)
        return image, created

    async def attach(
        self, viewer: Viewer | None, image_id: str, owner: OwnerRef, position: int | None
    ) -> StoredImage:
        """Show an image on an exhibit or event, after its other images or at ``position`` (0 is
        first); attaching a shown image moves it there."""
        actor = require(viewer, "update")
        number = expect_type(image_id, IMAGE_TYPE, field="imageId")
        owner_id = expect_type(owner.global_id, owner.content.name, field=owner.field)
        results: list[WriteResult] = []
        async with self.writer.transaction() as conn:
            item = await self._lock(conn, owner, owner_id)
            image = await self._image(conn, number, "imageId")
            if await conn.run_sync(attach_image, number, item.owner, position=position):
                results.append(await self._record_owner(conn, actor, item))
        await self._committed(results)
        return image

    async def detach(self, viewer: Viewer | None, image_id: str, owner: OwnerRef) -> StoredImage:
        """Stop showing an image on an exhibit or event (the image stays stored)."""
        actor = require(viewer, "update")
        number = expect_type(image_id, IMAGE_TYPE, field="imageId")
        owner_id = expect_type(owner.global_id, owner.content.name, field=owner.field)
        results: list[WriteResult] = []
        async with self.writer.transaction() as conn:
            item = await self._lock(conn, owner, owner_id)
            image = await self._image(conn, number, "imageId")
            if await conn.run_sync(detach_image, number, item.owner):
                results.append(await self._record_owner(conn, actor, item))
        await self._committed(results)
        return image

    async def update(
        self, viewer: Viewer | None, image_id: str, alt: Mapping[str, Any] | Any, credit: str | Any | None
    ) -> StoredImage:
        """New alt text and/or credit (``KEEP`` keeps one; a null or empty credit removes it)."""
        actor = require(viewer, "update")
        number = expect_type(image_id, IMAGE_TYPE)
        results: list[WriteResult] = []
        async with self.writer.transaction() as conn:
            current = await self._image(conn, number, "id")
            given_alt = {"en": current.alt_en, "zh_tw": current.alt_zh} if alt is KEEP else alt
            description = describe_image(given_alt, current.credit if credit is KEEP else credit)
            image = await conn.run_sync(update_image, number, description)
            if image != current:
                results.append(await self._record(conn, actor, number, "update", current, image))
        await self._committed(results)
        return image

    async def delete(self, viewer: Viewer | None, image_id: str) -> int:
        """Remove an image, its bytes and every place it was shown (admins)."""
        actor = require(viewer, "delete")
        number = expect_type(image_id, IMAGE_TYPE)
        results: list[WriteResult] = []
        async with self.writer.transaction() as conn:
            current = await self._image(conn, number, "id")
            owners = await conn.run_sync(owners_of, number)
            locked = [
                await self._lock_id(conn, BY_SINGULAR[owner.kind.value], owner.id, "id") for owner in owners
            ]
            await conn.run_sync(delete_image, number)
            results.append(await self._record(conn, actor, number, "delete", current, None))
            for item in locked:
                results.append(await self._record_owner(conn, actor, item))
        await self._committed(results)
        return number

    # -- steps ------------------------------------------------------------------------------------

    async def _lock(self, conn: AsyncConnection, ref: OwnerRef, id_: int) -> _Locked:
        return await self._lock_id(conn, ref.content, id_, ref.field)

    async def _lock_id(self, conn: AsyncConnection, content: ContentType, id_: int, field: str) -> _Locked:
        try:
            before = await self.writer.lock_and_snapshot(conn, content, id_)
        except NotFound:
            raise NotFound(f"{field}: no {content.singular} with that id", field=field) from None
        return _Locked(content, id_, before)

    async def _image(self, conn: AsyncConnection, image_id: int, field: str) -> StoredImage:
        image = await conn.run_sync(get_image, image_id)
        if image is None:
            raise NotFound(f"{field}: no image with that id", field=field)
        return image

    async def _record_owner(self, conn: AsyncConnection, actor: Viewer, item: _Locked) -> WriteResult:
        """The revision and change of an item whose images changed."""
        return await self.writer.finish(conn, actor, item.content, item.id, "update", item.before)

    async def _record(
        self,
        conn: AsyncConnection,
        actor: Viewer,
        image_id: int,
        action: str,
        before: StoredImage | None,
        after: StoredImage | None,
    ) -> WriteResult:
        """The revision and change of the image itself."""
        return await self.writer.record_change(
            conn,
            actor,
            WriteResult(IMAGE_TYPE, image_id, None, action=action),
            None if before is None else before.revision_record(),
            None if after is None else after.revision_record(),
        )

    async def _committed(self, results: Sequence[WriteResult]) -> None:
        for result in results:
            await self.writer.committed(result)

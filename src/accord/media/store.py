"""Images in the database: save, describe, attach in order, detach, delete, and read back.

Every function takes a blocking SQLAlchemy ``Connection`` inside the caller's transaction and does
not commit, so a caller composes several into one all-or-nothing write: the writer
(accord.write.images) through ``await conn.run_sync(save_image, processed, description)``, beside
the revision and the change-log row of the same transaction. Reads that a request makes go through
``accord.read.db.Reader`` with the statements built here (``images_query``,
``visible_image_query``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Exists, Select, Table, delete, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from accord.core.errors import BadInput, NotFound
from accord.core.ids import to_global_id
from accord.core.row_types import ImageRow
from accord.core.tables import event_image, events, exhibit_image, exhibits, image_data, images
from accord.core.visibility import PUBLIC, Visibility
from accord.media.formats import OriginalFormat
from accord.media.processing import ProcessedImage
from accord.media.records import ImageDescription, LocalizedAlt
from accord.models.columns import copy_into, utcnow

IMAGE_TYPE = "Image"  # the global id type (accord.core.ids)


class OwnerKind(StrEnum):
    """What an image can be attached to."""

    EXHIBIT = "exhibit"
    EVENT = "event"

    @property
    def link(self) -> Table:
        return exhibit_image if self is OwnerKind.EXHIBIT else event_image

    @property
    def owner_column(self) -> str:
        return f"{self.value}_id"

    @property
    def table(self) -> Table:
        return exhibits if self is OwnerKind.EXHIBIT else events


@dataclass(frozen=True, slots=True)
class Owner:
    kind: OwnerKind
    id: int


@dataclass(frozen=True, slots=True)
class StoredImage:
    """An image row (without its bytes)."""

    id: int
    content_hash: str
    format: OriginalFormat
    width: int
    height: int
    byte_size: int
    alt_en: str
    alt_zh: str | None
    credit: str | None
    placeholder: str
    dominant_color: str
    created_at: datetime
    updated_at: datetime

    @property
    def global_id(self) -> str:
        return to_global_id(IMAGE_TYPE, self.id)

    def revision_record(self) -> dict[str, Any]:
        """What a revision of the image records: everything but its bytes."""
        return {
            "content_hash": self.content_hash,
            "format": self.format.value,
            "width": self.width,
            "height": self.height,
            "byte_size": self.byte_size,
            "alt": LocalizedAlt(en=self.alt_en, zh_tw=self.alt_zh).model_dump(),
            "credit": self.credit,
            "placeholder": self.placeholder,
            "dominant_color": self.dominant_color,
        }

    @classmethod
    def from_row(cls, row: ImageRow) -> StoredImage:
        return copy_into(cls, row, format=OriginalFormat(row.format))


# -- statements (shared by the blocking functions below and by request-time readers) ------------------


def images_query(kind: OwnerKind, owner_ids: Sequence[int]) -> Select[Any]:
    """The images of these exhibits (or events), with ``owner_id``, in each owner's order."""
    link = kind.link
    owner = link.c[kind.owner_column]
    return (
        select(owner.label("owner_id"), *images.c)
        .select_from(link.join(images, images.c.id == link.c.image_id))
        .where(owner.in_(list(owner_ids)))
        .order_by(owner, link.c.position, link.c.image_id)
    )


def _shown_in(kind: OwnerKind, visibility: Visibility) -> Exists:
    link, owner = kind.link, kind.table
    return exists().where(
        link.c.image_id == images.c.id,
        owner.c.id == link.c[kind.owner_column],
        owner.c.status.in_(visibility.statuses),
    )


def visible_image_query(content_hash: str, visibility: Visibility = PUBLIC) -> Select[Any]:
    """The image with this content hash, when an exhibit or event it is attached to is visible
    (for anonymous readers: PUBLISHED). No row: not served."""
    return select(*images.c).where(
        images.c.content_hash == content_hash,
        or_(_shown_in(OwnerKind.EXHIBIT, visibility), _shown_in(OwnerKind.EVENT, visibility)),
    )


def shown_on_query(content_hash: str, kind: OwnerKind, owner_id: int) -> Select[Any]:
    """The image with this content hash when this one exhibit (or event) shows it, whatever the
    owner's status: what a preview link of that item may load (accord.web.media)."""
    link = kind.link
    return (
        select(*images.c)
        .select_from(link.join(images, images.c.id == link.c.image_id))
        .where(images.c.content_hash == content_hash, link.c[kind.owner_column] == owner_id)
    )


def original_query(content_hash: str) -> Select[Any]:
    return (
        select(image_data.c.data)
        .select_from(image_data.join(images, images.c.id == image_data.c.image_id))
        .where(images.c.content_hash == content_hash)
    )


# -- reads --------------------------------------------------------------------------------------------


def get_image(conn: Connection, image_id: int) -> StoredImage | None:
    row = conn.execute(select(*images.c).where(images.c.id == image_id)).first()
    return None if row is None else StoredImage.from_row(row)


def find_image(conn: Connection, content_hash: str) -> StoredImage | None:
    row = conn.execute(select(*images.c).where(images.c.content_hash == content_hash)).first()
    return None if row is None else StoredImage.from_row(row)


def original_data(conn: Connection, content_hash: str) -> bytes | None:
    data = conn.execute(original_query(content_hash)).scalar()
    return None if data is None else bytes(data)


def images_of(conn: Connection, kind: OwnerKind, owner_ids: Sequence[int]) -> dict[int, list[StoredImage]]:
    """Each owner's images in order (owners without images are absent): one statement for all."""
    found: dict[int, list[StoredImage]] = {}
    if owner_ids:
        for row in conn.execute(images_query(kind, owner_ids)):
            found.setdefault(row.owner_id, []).append(StoredImage.from_row(row))
    return found


def owner_image_ids(conn: Connection, owner: Owner) -> list[int]:
    link = owner.kind.link
    return list(
        conn.execute(
            select(link.c.image_id)
            .where(link.c[owner.kind.owner_column] == owner.id)
            .order_by(link.c.position, link.c.image_id)
        ).scalars()
    )


def owners_of(conn: Connection, image_id: int) -> list[Owner]:
    """The exhibits and events that show an image."""
    found: list[Owner] = []
    for kind in OwnerKind:
        link = kind.link
        column = link.c[kind.owner_column]
        query = select(column).where(link.c.image_id == image_id).order_by(column)
        found += [Owner(kind, owner_id) for owner_id in conn.execute(query).scalars()]
    return found


def owner_by_slug(conn: Connection, kind: OwnerKind, slug: str) -> Owner | None:
    """The exhibit (or event) with this slug, whatever its status."""
    found = conn.execute(select(kind.table.c.id).where(kind.table.c.slug == slug)).scalar()
    return None if found is None else Owner(kind, found)


# -- writes -------------------------------------------------------------------------------------------


def save_image(
    conn: Connection, processed: ProcessedImage, description: ImageDescription, *, now: datetime | None = None
) -> tuple[StoredImage, bool]:
    """Store a processed upload; (the image, whether it is new). The same picture uploaded again is
    the same image: its alt text and credit become the ones given now, its bytes are not stored twice."""
    existing = find_image(conn, processed.content_hash)
    if existing is not None:
        return update_image(conn, existing.id, description, now=now), False
    moment = now or utcnow()
    try:
        # A savepoint: when another transaction stores the same picture first, the unique content
        # hash refuses this insert, and the image it stored gets this description instead.
        with conn.begin_nested():
            image_id = conn.execute(
                insert(images)
                .values(
                    content_hash=processed.content_hash,
                    format=processed.format.value,
                    width=processed.width,
                    height=processed.height,
                    byte_size=processed.byte_size,
                    placeholder=processed.placeholder,
                    dominant_color=processed.dominant_color,
                    created_at=moment,
                    updated_at=moment,
                    **_description_values(description),
                )
                .returning(images.c.id)
            ).scalar_one()
            conn.execute(insert(image_data).values(image_id=image_id, data=processed.data))
    except IntegrityError:
        raced = find_image(conn, processed.content_hash)
        if raced is None:
            raise
        return update_image(conn, raced.id, description, now=now), False
    stored = get_image(conn, image_id)
    assert stored is not None
    return stored, True


def update_image(
    conn: Connection, image_id: int, description: ImageDescription, *, now: datetime | None = None
) -> StoredImage:
    """New alt text and credit (unchanged ones leave ``updated_at`` as it was)."""
    current = get_image(conn, image_id)
    if current is None:
        raise NotFound("id: no image with that id", field="id")
    values = _description_values(description)
    if all(getattr(current, name) == value for name, value in values.items()):
        return current
    conn.execute(update(images).where(images.c.id == image_id).values(updated_at=now or utcnow(), **values))
    updated = get_image(conn, image_id)
    assert updated is not None
    return updated


def delete_image(conn: Connection, image_id: int) -> bool:
    """Remove an image, its bytes and its attachments; False when there was none."""
    return conn.execute(delete(images).where(images.c.id == image_id)).rowcount > 0


def attach_image(conn: Connection, image_id: int, owner: Owner, *, position: int | None = None) -> bool:
    """Show an image on an exhibit or event: at ``position`` (0 first) or after its other images.
    Attaching an attached image moves it (when a position is given) or changes nothing; whether
    anything changed."""
    _require(conn, images, image_id, "imageId", "image")
    _require(conn, owner.kind.table, owner.id, f"{owner.kind.value}Id", owner.kind.value)
    before = owner_image_ids(conn, owner)
    order = list(before)
    if image_id in order:
        if position is None:
            return False
        order.remove(image_id)
    at = len(order) if position is None else max(0, min(position, len(order)))
    order.insert(at, image_id)
    if order == before:
        return False
    _write_order(conn, owner, order)
    return True


def detach_image(conn: Connection, image_id: int, owner: Owner) -> bool:
    """Stop showing an image on an exhibit or event (the image stays); False when it was not shown."""
    link = owner.kind.link
    removed = conn.execute(
        delete(link).where(link.c[owner.kind.owner_column] == owner.id, link.c.image_id == image_id)
    ).rowcount
    if removed:
        _write_order(conn, owner, owner_image_ids(conn, owner))
    return removed > 0


def set_owner_images(
    conn: Connection, owner: Owner, image_ids: Sequence[int], *, field: str = "imageIds"
) -> None:
    """Make these images, in this order, the images of an exhibit or event."""
    if len(set(image_ids)) != len(image_ids):
        raise BadInput(f"{field}: an image is listed twice", field=field)
    _require(conn, owner.kind.table, owner.id, f"{owner.kind.value}Id", owner.kind.value)
    if image_ids:
        found = set(conn.execute(select(images.c.id).where(images.c.id.in_(list(image_ids)))).scalars())
        for index, image_id in enumerate(image_ids):
            if image_id not in found:
                raise NotFound(f"{field}[{index}]: no image with that id", field=f"{field}[{index}]")
    _write_order(conn, owner, list(image_ids))


def _write_order(conn: Connection, owner: Owner, order: list[int]) -> None:
    link, column = owner.kind.link, owner.kind.owner_column
    conn.execute(delete(link).where(link.c[column] == owner.id))
    if order:
        conn.execute(
            insert(link),
            [
                {column: owner.id, "image_id": image_id, "position": index}
                for index, image_id in enumerate(order)
            ],
        )


def _require(conn: Connection, table: Table, id_: int, field: str, noun: str) -> None:
    if conn.execute(select(table.c.id).where(table.c.id == id_)).first() is None:
        raise NotFound(f"{field}: no {noun} with that id", field=field)


def _description_values(description: ImageDescription) -> dict[str, Any]:
    return {"alt_en": description.alt.en, "alt_zh": description.alt.zh_tw, "credit": description.credit}

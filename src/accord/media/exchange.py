"""Images in exports and imports: an image record out, the same image back in, byte for byte.

Images are identified by their content hash across databases (row ids differ), the way other
content is identified by its slug: writing a record back inserts the image, or updates the
description of the image with that hash. An exhibit's or event's images travel as the ordered list
of their content hashes (``owner_image_hashes`` / ``set_owner_image_hashes``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, insert, select, update

from accord.core.tables import image_data, images
from accord.media.errors import ImageRefused
from accord.media.processing import DEFAULT_MAX_PIXELS, content_hash_of, inspect_original
from accord.media.records import ImageRecord, LocalizedAlt, encode_data
from accord.media.store import (
    Owner,
    StoredImage,
    find_image,
    original_data,
    owner_image_ids,
    set_owner_images,
)
from accord.models.columns import utcnow


class ImageRecordError(ValueError):
    """An image record that cannot be written back; the message starts with the field."""


def image_record(image: StoredImage, data: bytes) -> ImageRecord:
    return ImageRecord(
        content_hash=image.content_hash,
        format=image.format,
        width=image.width,
        height=image.height,
        byte_size=image.byte_size,
        alt=LocalizedAlt(en=image.alt_en, zh_tw=image.alt_zh),
        credit=image.credit,
        placeholder=image.placeholder,
        dominant_color=image.dominant_color,
        created_at=image.created_at,
        updated_at=image.updated_at,
        data=encode_data(data),
    )


def export_image(conn: Connection, content_hash: str) -> ImageRecord | None:
    image = find_image(conn, content_hash)
    data = original_data(conn, content_hash)
    return None if image is None or data is None else image_record(image, data)


def export_images(conn: Connection) -> Iterator[ImageRecord]:
    """Every image, ordered by content hash (the same order in every database), one at a time: an
    image's bytes are read when its record is wanted."""
    hashes = conn.execute(select(images.c.content_hash).order_by(images.c.content_hash)).scalars().all()
    for content_hash in hashes:
        record = export_image(conn, content_hash)
        if record is not None:
            yield record


def import_image(
    conn: Connection, record: ImageRecord, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[int, bool]:
    """Write an image record back (in the caller's transaction); the image's id, and whether anything
    was written (a new image, or a new description of a stored one).

    The bytes are checked before anything is written: their hash and size are the record's, and
    they are an original as accord makes them (JPEG, PNG or WebP, decodable, no metadata, the size
    the record says). They are stored as they are, so a later export gives the same base64."""
    data = _checked_bytes(record, max_pixels)
    existing = find_image(conn, record.content_hash)
    values = {
        "alt_en": record.alt.en,
        "alt_zh": record.alt.zh_tw,
        "credit": record.credit,
        "placeholder": record.placeholder,
        "dominant_color": record.dominant_color,
    }
    now = utcnow()
    if existing is not None:
        changed = {name: value for name, value in values.items() if getattr(existing, name) != value}
        for name in ("created_at", "updated_at"):
            given = getattr(record, name)
            if given is not None and given != getattr(existing, name):
                changed[name] = given
        if changed:
            conn.execute(update(images).where(images.c.id == existing.id).values(**changed))
        return existing.id, bool(changed)
    image_id: int = conn.execute(
        insert(images)
        .values(
            content_hash=record.content_hash,
            format=record.format.value,
            width=record.width,
            height=record.height,
            byte_size=record.byte_size,
            created_at=record.created_at or now,
            updated_at=record.updated_at or now,
            **values,
        )
        .returning(images.c.id)
    ).scalar_one()
    conn.execute(insert(image_data).values(image_id=image_id, data=data))
    return image_id, True


def owner_image_hashes(conn: Connection, owner: Owner) -> list[str]:
    """An exhibit's or event's images, in order, as content hashes (how an export links them)."""
    ids = owner_image_ids(conn, owner)
    if not ids:
        return []
    query = select(images.c.id, images.c.content_hash).where(images.c.id.in_(ids))
    hash_of: dict[int, str] = {row.id: row.content_hash for row in conn.execute(query)}
    return [hash_of[image_id] for image_id in ids]


def set_owner_image_hashes(
    conn: Connection, owner: Owner, hashes: Sequence[str], *, field: str = "images"
) -> None:
    """Link an exhibit or event to images named by content hash, in this order (they must be stored)."""
    query = select(images.c.content_hash, images.c.id).where(images.c.content_hash.in_(list(hashes)))
    id_of: dict[str, int] = {row.content_hash: row.id for row in conn.execute(query)}
    missing = [content_hash for content_hash in hashes if content_hash not in id_of]
    if missing:
        raise ImageRecordError(f"{field}: no image with content hash {missing[0]}")
    set_owner_images(conn, owner, [id_of[content_hash] for content_hash in hashes], field=field)


def _checked_bytes(record: ImageRecord, max_pixels: int) -> bytes:
    try:
        data = record.original_bytes()
    except ValueError as exc:
        raise ImageRecordError(str(exc)) from None
    if len(data) != record.byte_size:
        raise ImageRecordError(f"data: {len(data)} bytes, but byte_size says {record.byte_size}")
    if content_hash_of(data) != record.content_hash:
        raise ImageRecordError("data: the bytes do not match content_hash")
    try:
        info = inspect_original(data, max_pixels)
    except ImageRefused as exc:
        raise ImageRecordError(f"data: {exc.detail}") from None
    found = (info.format, info.width, info.height)
    if found != (record.format, record.width, record.height):
        raise ImageRecordError(
            f"data: a {info.format.value} of {info.width} x {info.height} pixels, but the record says "
            f"a {record.format.value} of {record.width} x {record.height}"
        )
    return data

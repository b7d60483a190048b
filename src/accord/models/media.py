"""Images: their description, their stored original, and where they are shown.

An image is identified by its content: ``content_hash`` is the SHA-256 of the stored original (the
upright, metadata-free file accord made from the upload), so one picture is stored once however
often it is uploaded, and its variant URLs (``/media/{content_hash}/...``) never change meaning.
The original's bytes live in ``image_data``, apart from the description, so that listing images
never reads megabytes. Exhibits and events show images in order (``position``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from accord.models.base import NEVER_REUSE_IDS
from accord.models.columns import UTCDateTime, utcnow

CONTENT_HASH_LENGTH = 64  # SHA-256, lower-case hex
ALT_LENGTH = 1000
CREDIT_LENGTH = 300
PLACEHOLDER_LENGTH = 64  # a BlurHash of up to 9 x 9 components is 2 + 4 + 80 * 2 = 166; ours is 4 x 3
IMAGE_FORMAT_LENGTH = 8


class Image(SQLModel, table=True):
    """One picture and what it shows, in English and Traditional Chinese."""

    __tablename__ = "image"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(sa_type=String(CONTENT_HASH_LENGTH), unique=True, index=True)
    format: str = Field(sa_type=String(IMAGE_FORMAT_LENGTH))  # of the stored original: jpeg, png, webp
    width: int
    height: int
    byte_size: int
    alt_en: str = Field(sa_type=String(ALT_LENGTH))
    alt_zh: str | None = Field(default=None, sa_type=String(ALT_LENGTH))
    credit: str | None = Field(default=None, sa_type=String(CREDIT_LENGTH))
    placeholder: str = Field(sa_type=String(PLACEHOLDER_LENGTH))  # BlurHash
    dominant_color: str = Field(sa_type=String(7))  # #rrggbb
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ImageData(SQLModel, table=True):
    """The stored original of an image, byte for byte what its content hash names."""

    __tablename__ = "image_data"

    image_id: int = Field(
        sa_column=Column(Integer, ForeignKey("image.id", ondelete="CASCADE"), primary_key=True)
    )
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


def _owner(table: str) -> int:
    column: int = Field(
        sa_column=Column(Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), primary_key=True)
    )
    return column


def _image_ref() -> int:
    # Indexed on its own: "is this image shown anywhere published?" is asked on every media request.
    column: int = Field(
        sa_column=Column(Integer, ForeignKey("image.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    return column


class ExhibitImage(SQLModel, table=True):
    """The images of an exhibit, in the order of ``position``."""

    __tablename__ = "exhibit_image"
    exhibit_id: int = _owner("exhibit")
    image_id: int = _image_ref()
    position: int = 0


class EventImage(SQLModel, table=True):
    """The images of an event, in the order of ``position``."""

    __tablename__ = "event_image"
    event_id: int = _owner("event")
    image_id: int = _image_ref()
    position: int = 0

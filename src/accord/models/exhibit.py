from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlmodel import Field

from accord.models.base import NEVER_REUSE_IDS, ContentBase, kind_field
from accord.models.columns import TITLE_LENGTH
from accord.models.enums import ExhibitKind


class Exhibit(ContentBase, table=True):
    """An item on display in the exhibition area."""

    __tablename__ = "exhibit"
    __table_args__ = NEVER_REUSE_IDS

    title_en: str = Field(sa_type=String(TITLE_LENGTH))
    title_zh: str | None = Field(default=None, sa_type=String(TITLE_LENGTH))
    description_en: str = Field(default="", sa_type=Text)
    description_zh: str | None = Field(default=None, sa_type=Text)
    kind: str = kind_field(ExhibitKind.OTHER.value)
    image_url: str | None = Field(default=None, sa_type=String(500))
    origin_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("partner.id", ondelete="SET NULL"), index=True, nullable=True),
    )

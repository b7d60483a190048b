from __future__ import annotations

from sqlalchemy import String
from sqlmodel import Field

from accord.models.base import NEVER_REUSE_IDS, ContentBase, kind_field
from accord.models.columns import TITLE_LENGTH
from accord.models.enums import PartnerKind


class Partner(ContentBase, table=True):
    """A customs administration, economy, international organization, forum or committee."""

    __tablename__ = "partner"
    __table_args__ = NEVER_REUSE_IDS

    name_en: str = Field(sa_type=String(TITLE_LENGTH), index=True)
    name_zh: str | None = Field(default=None, sa_type=String(TITLE_LENGTH))
    short_name: str | None = Field(default=None, sa_type=String(40))
    kind: str = kind_field(PartnerKind.OTHER.value)
    country: str | None = Field(default=None, sa_type=String(2), index=True)
    website: str | None = Field(default=None, sa_type=String(500))

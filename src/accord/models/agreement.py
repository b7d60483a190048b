from __future__ import annotations

from sqlalchemy import String, Text
from sqlmodel import Field

from accord.models.base import NEVER_REUSE_IDS, ContentBase, kind_field
from accord.models.columns import TITLE_LENGTH
from accord.models.enums import AgreementKind


class Agreement(ContentBase, table=True):
    """A signed instrument; ``signed_*`` is a partial date (year, optional month and day)."""

    __tablename__ = "agreement"
    __table_args__ = NEVER_REUSE_IDS

    title_en: str = Field(sa_type=String(TITLE_LENGTH))
    title_zh: str | None = Field(default=None, sa_type=String(TITLE_LENGTH))
    summary_en: str = Field(default="", sa_type=Text)
    summary_zh: str | None = Field(default=None, sa_type=Text)
    kind: str = kind_field(AgreementKind.OTHER.value)
    signed_year: int | None = Field(default=None, index=True)
    signed_month: int | None = None
    signed_day: int | None = None

"""Secrets the server keeps in its database, so that every instance shares them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from accord.models.columns import UTCDateTime, utcnow


class ServerSecret(SQLModel, table=True):
    """One named secret (``preview``: what signs preview links), generated once and replaced by
    ``accord secret rotate NAME``."""

    __tablename__ = "server_secret"

    name: str = Field(sa_type=String(32), primary_key=True)
    value: str = Field(sa_type=String(128))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

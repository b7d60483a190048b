"""Many-to-many links between content and an event's tags.

Each link row cascades away with either end. The composite primary key indexes the first column;
the second gets its own index so "events of this partner" is as cheap as "partners of this event".
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel


def _ref(table: str, *, index: bool = False) -> int:
    column: int = Field(
        sa_column=Column(
            Integer, ForeignKey(f"{table}.id", ondelete="CASCADE"), primary_key=True, index=index
        )
    )
    return column


class EventPartner(SQLModel, table=True):
    __tablename__ = "event_partner"
    event_id: int = _ref("event")
    partner_id: int = _ref("partner", index=True)


class EventAgreement(SQLModel, table=True):
    __tablename__ = "event_agreement"
    event_id: int = _ref("event")
    agreement_id: int = _ref("agreement", index=True)


class EventExhibit(SQLModel, table=True):
    __tablename__ = "event_exhibit"
    event_id: int = _ref("event")
    exhibit_id: int = _ref("exhibit", index=True)


class AgreementParty(SQLModel, table=True):
    __tablename__ = "agreement_party"
    agreement_id: int = _ref("agreement")
    partner_id: int = _ref("partner", index=True)


class ExhibitAgreement(SQLModel, table=True):
    __tablename__ = "exhibit_agreement"
    exhibit_id: int = _ref("exhibit")
    agreement_id: int = _ref("agreement", index=True)


class EventTag(SQLModel, table=True):
    """Tags of an event, in the order the editor gave them (``position``)."""

    __tablename__ = "event_tag"
    event_id: int = _ref("event")
    tag: str = Field(sa_column=Column(String(60), primary_key=True, index=True))
    position: int = 0

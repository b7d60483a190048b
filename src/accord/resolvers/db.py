"""Read access to the database for one request, and the tables as Core objects."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Executable, Result, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from accord.models import (
    Agreement,
    AgreementParty,
    Event,
    EventAgreement,
    EventExhibit,
    EventPartner,
    EventTag,
    Exhibit,
    ExhibitAgreement,
    Partner,
)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


events = _table(Event)
partners = _table(Partner)
agreements = _table(Agreement)
exhibits = _table(Exhibit)
event_partner = _table(EventPartner)
event_agreement = _table(EventAgreement)
event_exhibit = _table(EventExhibit)
event_tag = _table(EventTag)
agreement_party = _table(AgreementParty)
exhibit_agreement = _table(ExhibitAgreement)

TABLE_OF_TYPE = {"Event": events, "Partner": partners, "Agreement": agreements, "Exhibit": exhibits}


class Reader:
    """One connection for one request, its queries run one at a time.

    graphql-core resolves sibling fields concurrently, and a connection serves one statement at a
    time; the lock queues them. The connection is opened on the first query, so a request answered
    from a cache never touches the pool. Results come back buffered, so the lock is released as
    soon as the statement has run.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self.statements = 0

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def execute(self, statement: Executable, parameters: dict[str, Any] | None = None) -> Result[Any]:
        async with self._lock:
            if self._conn is None:
                self._conn = await self._engine.connect()
            self.statements += 1
            return await self._conn.execute(statement, parameters)

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                await conn.close()


async def fetch_all(db: Reader, statement: Executable) -> list[Any]:
    return list((await db.execute(statement)).all())


async def fetch_one(db: Reader, statement: Executable) -> Any | None:
    return (await db.execute(statement)).first()


async def count(db: Reader, statement: Any) -> int:
    total = (await db.execute(select(func.count()).select_from(statement.order_by(None).subquery()))).scalar()
    return int(total or 0)


def dialect_of(db: Reader) -> str:
    return db.dialect

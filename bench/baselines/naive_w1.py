"""Baseline (c) of `python -m bench http`: W1 written the naive way, with strawberry and SQLModel.

What a first version of accord's front page could look like: the same GraphQL shape as accord for
W1 (``events(first, orderBy) { edges { node { slug title date { label } partners { name shortName }
agreements { title parties { name } } exhibits { title } } } }``), resolvers that each run their
own SELECT through a request-scoped SQLModel session over accord's SQLite file, and no DataLoaders:
N+1 on purpose (one statement for the page, then one per event and relation, one per agreement for
its parties). Published rows only, in accord's order, so the answer carries the same data.

    python -m bench.baselines.naive_w1 --database PATH --port 8001
"""

from __future__ import annotations

import calendar
import enum
from typing import Any

import strawberry
from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, col, create_engine, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult, Info

from bench.baselines.serving import arguments, serve

PUBLISHED = "PUBLISHED"

# accord's tables, only the columns W1 reads.


class EventRow(SQLModel, table=True):
    __tablename__ = "event"
    id: int = Field(primary_key=True)
    slug: str
    status: str
    title_en: str
    year: int
    month: int | None = None
    day: int | None = None
    end_year: int | None = None
    end_month: int | None = None
    end_day: int | None = None
    sort_key: int


class PartnerRow(SQLModel, table=True):
    __tablename__ = "partner"
    id: int = Field(primary_key=True)
    status: str
    name_en: str
    short_name: str | None = None


class AgreementRow(SQLModel, table=True):
    __tablename__ = "agreement"
    id: int = Field(primary_key=True)
    status: str
    title_en: str


class ExhibitRow(SQLModel, table=True):
    __tablename__ = "exhibit"
    id: int = Field(primary_key=True)
    status: str
    title_en: str


class EventPartnerRow(SQLModel, table=True):
    __tablename__ = "event_partner"
    event_id: int = Field(primary_key=True)
    partner_id: int = Field(primary_key=True)


class EventAgreementRow(SQLModel, table=True):
    __tablename__ = "event_agreement"
    event_id: int = Field(primary_key=True)
    agreement_id: int = Field(primary_key=True)


class EventExhibitRow(SQLModel, table=True):
    __tablename__ = "event_exhibit"
    event_id: int = Field(primary_key=True)
    exhibit_id: int = Field(primary_key=True)


class AgreementPartyRow(SQLModel, table=True):
    __tablename__ = "agreement_party"
    agreement_id: int = Field(primary_key=True)
    partner_id: int = Field(primary_key=True)


# GraphQL types


def session_of(info: Info) -> Session:
    session: Session = info.context["session"]
    return session


def _date_label(year: int, month: int | None, day: int | None) -> str:
    if month is None:
        return str(year)
    name = calendar.month_name[month]
    return f"{name} {year}" if day is None else f"{day} {name} {year}"


@strawberry.type
class PartialDate:
    label: str


@strawberry.type
class Partner:
    name: str
    short_name: str | None


@strawberry.type
class Exhibit:
    title: str


@strawberry.type
class Agreement:
    agreement_id: strawberry.Private[int]
    title: str

    @strawberry.field
    def parties(self, info: Info) -> list[Partner]:
        rows = session_of(info).exec(
            select(PartnerRow)
            .join(AgreementPartyRow, col(AgreementPartyRow.partner_id) == col(PartnerRow.id))
            .where(AgreementPartyRow.agreement_id == self.agreement_id, PartnerRow.status == PUBLISHED)
            .order_by(col(PartnerRow.id))
        )
        return [Partner(name=row.name_en, short_name=row.short_name) for row in rows]


@strawberry.type
class Event:
    row: strawberry.Private[EventRow]

    @strawberry.field
    def slug(self) -> str:
        return self.row.slug

    @strawberry.field
    def title(self) -> str:
        return self.row.title_en

    @strawberry.field
    def date(self) -> PartialDate:
        row = self.row
        label = _date_label(row.year, row.month, row.day)
        if row.end_year is not None:
            label += " to " + _date_label(row.end_year, row.end_month, row.end_day)
        return PartialDate(label=label)

    @strawberry.field
    def partners(self, info: Info) -> list[Partner]:
        rows = session_of(info).exec(
            select(PartnerRow)
            .join(EventPartnerRow, col(EventPartnerRow.partner_id) == col(PartnerRow.id))
            .where(EventPartnerRow.event_id == self.row.id, PartnerRow.status == PUBLISHED)
            .order_by(col(PartnerRow.id))
        )
        return [Partner(name=row.name_en, short_name=row.short_name) for row in rows]

    @strawberry.field
    def agreements(self, info: Info) -> list[Agreement]:
        rows = session_of(info).exec(
            select(AgreementRow)
            .join(EventAgreementRow, col(EventAgreementRow.agreement_id) == col(AgreementRow.id))
            .where(EventAgreementRow.event_id == self.row.id, AgreementRow.status == PUBLISHED)
            .order_by(col(AgreementRow.id))
        )
        return [Agreement(agreement_id=row.id, title=row.title_en) for row in rows]

    @strawberry.field
    def exhibits(self, info: Info) -> list[Exhibit]:
        rows = session_of(info).exec(
            select(ExhibitRow)
            .join(EventExhibitRow, col(EventExhibitRow.exhibit_id) == col(ExhibitRow.id))
            .where(EventExhibitRow.event_id == self.row.id, ExhibitRow.status == PUBLISHED)
            .order_by(col(ExhibitRow.id))
        )
        return [Exhibit(title=row.title_en) for row in rows]


@strawberry.type
class EventEdge:
    node: Event


@strawberry.type
class EventConnection:
    edges: list[EventEdge]


@strawberry.enum
class EventOrder(enum.Enum):
    DATE_ASC = "DATE_ASC"
    DATE_DESC = "DATE_DESC"


@strawberry.type
class Query:
    @strawberry.field
    def events(
        self, info: Info, first: int = 20, order_by: EventOrder = EventOrder.DATE_ASC
    ) -> EventConnection:
        if order_by is EventOrder.DATE_DESC:
            order = (col(EventRow.sort_key).desc(), col(EventRow.id).desc())
        else:
            order = (col(EventRow.sort_key).asc(), col(EventRow.id).asc())
        rows = session_of(info).exec(
            select(EventRow).where(EventRow.status == PUBLISHED).order_by(*order).limit(min(first, 100))
        )
        return EventConnection(edges=[EventEdge(node=Event(row=row)) for row in rows])


class NaiveGraphQL(GraphQL[dict[str, Any], None]):
    """One SQLModel session per request, closed once the result is built."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(strawberry.Schema(query=Query), graphql_ide=None)
        self.engine = engine

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        session = Session(self.engine)
        request.state.session = session
        return {"request": request, "response": response, "session": session}

    async def process_result(self, request: Any, result: ExecutionResult) -> Any:
        session = getattr(request.state, "session", None)
        if session is not None:
            session.close()
        return await super().process_result(request, result)


def create_app(database: str) -> Starlette:
    engine = create_engine(f"sqlite:///{database}")
    graphql = NaiveGraphQL(engine)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    app.state.engine = engine  # bench.statements counts the statements it runs
    return app


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__)
    parser.add_argument("--database", required=True, help="path of accord's SQLite file")
    args = parser.parse_args(argv)
    serve(create_app(args.database), args)


if __name__ == "__main__":
    main()

"""What the application holds for its lifetime: settings, the engine, the schema."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from accord.resolvers.db import Reader
from accord.resolvers.visibility import PUBLIC
from accord.schema import AccordSchema
from accord.schema.context import Context
from accord.schema.localize import locale_from_accept_language
from accord.settings import Settings
from accord.web.graphiql import graphiql_html


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    schema: AccordSchema
    graphiql_page: str = field(init=False)

    def __post_init__(self) -> None:
        self.graphiql_page = graphiql_html()

    async def context_for(self, connection: HTTPConnection) -> Context:
        return Context(
            db=Reader(self.engine),
            locale=locale_from_accept_language(connection.headers.get("accept-language")),
            visibility=PUBLIC,
            request=connection,
        )

    async def graphiql(self, request: Request) -> Response:
        if not self.settings.graphiql:
            return PlainTextResponse("GraphiQL is switched off on this server.", status_code=404)
        return HTMLResponse(self.graphiql_page)

"""What the application holds for its lifetime: settings, engines, the schema and the writer."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from accord.auth import Viewer, authenticate, bearer_token
from accord.resolvers.db import Reader
from accord.resolvers.visibility import EDITOR, PUBLIC
from accord.schema import AccordSchema
from accord.schema.context import Context
from accord.schema.localize import locale_from_accept_language
from accord.settings import Settings
from accord.web.graphiql import graphiql_html
from accord.writes.content import ContentWriter


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    write_engine: AsyncEngine
    schema: AccordSchema
    writer: ContentWriter = field(init=False)
    graphiql_page: str = field(init=False)

    def __post_init__(self) -> None:
        self.writer = ContentWriter(self.write_engine)
        self.graphiql_page = graphiql_html()

    async def viewer_for(self, authorization: str | None) -> Viewer | None:
        """The token holder of a request; an unknown or revoked token raises Unauthenticated."""
        token = bearer_token(authorization)
        return None if token is None else await authenticate(self.engine, token)

    async def context_for(self, connection: HTTPConnection, viewer: Viewer | None = None) -> Context:
        return Context(
            db=Reader(self.engine),
            locale=locale_from_accept_language(connection.headers.get("accept-language")),
            visibility=EDITOR if viewer is not None and viewer.allows("read_drafts") else PUBLIC,
            request=connection,
            viewer=viewer,
            services=self,
        )

    async def graphiql(self, request: Request) -> Response:
        if not self.settings.graphiql:
            return PlainTextResponse("GraphiQL is switched off on this server.", status_code=404)
        return HTMLResponse(self.graphiql_page)

    async def close(self) -> None:
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
        await self.engine.dispose()

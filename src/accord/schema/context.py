"""The per-request context every resolver receives: database access, DataLoaders, locale, viewer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader

from accord.content.fields import Images, Relation
from accord.content.model import ContentType
from accord.core.auth import Viewer, authenticate, bearer_token
from accord.core.locale import locale_from_accept_language
from accord.core.preview import PreviewLinks
from accord.core.row_types import ResultRow
from accord.core.visibility import PUBLIC, Visibility, visibility_of
from accord.models.enums import Locale
from accord.read.db import Reader
from accord.read.relations import load_by_id, load_images, load_linked, load_tags
from accord.write.content import ContentWriter
from accord.write.images import ImageWriter

# The document being run, as accord.operation prepared it: strawberry then neither parses nor
# validates it again (accord.schema.UsePrepared).
PREPARED_DOCUMENT: ContextVar[DocumentNode | None] = ContextVar("accord_prepared_document", default=None)


class Loaders:
    """One DataLoader per relation, per request: each relation costs one query per request level."""

    def __init__(self, db: Reader, visibility: Visibility) -> None:
        self.db = db
        self.visibility = visibility
        self._loaders: dict[Any, DataLoader[int, Any]] = {}

        async def tags(ids: list[int]) -> list[list[str]]:
            return await load_tags(db, ids)

        self.tags: DataLoader[int, list[str]] = DataLoader(load_fn=tags)

    def _loader(self, key: Any, load: Callable[[list[int]], Awaitable[list[Any]]]) -> DataLoader[int, Any]:
        """The request's loader under ``key``, made with ``load`` the first time it is asked for."""
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = DataLoader(load_fn=load)
        return found

    def linked(self, relation: Relation) -> DataLoader[int, list[ResultRow]]:
        statuses = self.visibility.statuses
        return self._loader(relation, lambda owners: load_linked(self.db, relation, owners, statuses))

    def images(self, spec: Images) -> DataLoader[int, list[ResultRow]]:
        return self._loader(("images", spec.link.name), lambda owners: load_images(self.db, spec, owners))

    def by_id(self, content: ContentType) -> DataLoader[int, ResultRow | None]:
        statuses = self.visibility.statuses
        return self._loader(("by_id", content.name), lambda ids: load_by_id(self.db, content, ids, statuses))


@dataclass
class Context:
    db: Reader
    locale: Locale = Locale.EN
    visibility: Visibility = PUBLIC
    request: HTTPConnection | None = None
    viewer: Viewer | None = None
    writer: ContentWriter | None = None  # mutations write through it
    images: ImageWriter | None = None  # and image mutations through this
    # What image URLs start with: the public URL (accord.settings), or "" for paths.
    media_base: str = ""
    previews: PreviewLinks | None = None  # previewLink signs through it
    # Told to the client in the response's ``extensions.warnings`` (accord.operation.pipeline):
    # what a resolver did that the client should know and the data alone does not say.
    warnings: list[dict[str, Any]] = field(default_factory=list)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.visibility)


class ContextFactory:
    """Makes the context of each operation: who asks, in which language, reading from where."""

    def __init__(
        self,
        engine: AsyncEngine,
        primary_engine: AsyncEngine,
        writer: ContentWriter,
        images: ImageWriter | None = None,
        media_base: str = "",
        previews: PreviewLinks | None = None,
    ) -> None:
        self.engine = engine  # reads (a replica when configured)
        self.primary_engine = primary_engine  # tokens; mutations read their own writes here
        self.writer = writer
        self.images = images
        self.media_base = media_base
        self.previews = previews

    async def viewer_for(self, authorization: str | None) -> Viewer | None:
        """The token holder of a request; an unknown or revoked token raises Unauthenticated."""
        token = bearer_token(authorization)
        return None if token is None else await authenticate(self.primary_engine, token)

    def for_connection(
        self, connection: HTTPConnection, viewer: Viewer | None = None, *, writes: bool = False
    ) -> Context:
        """The context of one operation; a mutation reads from the primary (it must see its own write,
        which a replica may not have yet)."""
        return Context(
            db=Reader(self.primary_engine if writes else self.engine),
            locale=locale_from_accept_language(connection.headers.get("accept-language")),
            visibility=visibility_of(viewer),
            request=connection,
            viewer=viewer,
            writer=self.writer,
            images=self.images,
            media_base=self.media_base,
            previews=self.previews,
        )

"""The Query and Mutation roots: for each content type, a lookup and a list, and its mutations,
built from the content model; then search, the timeline, revisions and restore.

Writes need ``Authorization: Bearer <token>``; failures are GraphQL errors whose extensions.code is
UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND or CONFLICT, and a failed write changes nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types.field import StrawberryField

from accord.content.model import BY_NAME, EVENT, ROOT_ORDER, ContentType
from accord.core.auth import require
from accord.core.errors import BadInput, NotFound
from accord.core.ids import expect_type, from_global_id, to_global_id
from accord.core.moments import parse_lifetime
from accord.core.numbers import parse_natural
from accord.core.row_types import ContentRow
from accord.core.visibility import EDITOR
from accord.models.columns import utcnow
from accord.models.enums import Status
from accord.read import lists
from accord.read.search import search as run_search
from accord.schema.images import ImageMutations
from accord.schema.inputs import create_input, patch_input, to_request
from accord.schema.revisions import Revision, revisions_of
from accord.schema.types import (
    OBJECT_TYPES,
    Connection,
    Info,
    Item,
    Node,
    SearchResult,
    YearGroup,
    connection_of,
    connection_type,
    list_arguments,
    list_options,
    query_field,
    resolver,
)
from accord.write.content import ContentWriter, WriteResult

REQUIRED = inspect.Parameter.empty
EXPECTED = "The updatedAt you read; if the content changed since, the update is refused with CONFLICT."
AT = (
    "Publish at this time instead of now: an ISO-8601 time with its offset "
    "(2027-03-01T10:00:00+08:00), at most 10 years ahead. Until then the content stays as it is "
    "(a draft is a draft for everybody); null, or a time already past, publishes now."
)
LAPSED = "SCHEDULE_LAPSED"


@strawberry.type(
    description=(
        "A link that opens one unpublished event on the timeline page, for anybody who has it, "
        "until it expires."
    )
)
class PreviewLink:
    url: str
    expires_at: datetime


def _lookup_field(content: ContentType) -> StrawberryField:
    async def resolve(root: Any, info: Info, id: str | None = None, slug: str | None = None) -> Item | None:
        context = info.context
        row = await lists.lookup(context.db, content, context.visibility, global_id=id, slug=slug)
        return None if row is None else Item(content, row)

    arguments = [("id", strawberry.ID | None, None), ("slug", str | None, None)]
    return query_field(resolve, OBJECT_TYPES[content.name] | None, arguments=arguments)


def _list_field(content: ContentType) -> StrawberryField:
    async def resolve(root: Any, info: Info, **arguments: Any) -> Connection[Any]:
        context = info.context
        options = list_options(arguments)
        page = await lists.list_items(context.db, content, visibility=context.visibility, **options)
        return connection_of(content, page)

    return query_field(resolve, connection_type(content), arguments=list_arguments(content, backwards=True))


async def _node(root: Any, info: Info, id: strawberry.ID) -> Item | None:
    from_global_id(id)  # a malformed id is the client's mistake
    found = await lists.get_node(info.context.db, id, info.context.visibility)
    return None if found is None else Item(*found)


async def _search(root: Any, info: Info, query: str, first: int | None = 20) -> list[Item]:
    found = await run_search(
        info.context.db, query=query, first=20 if first is None else first, visibility=info.context.visibility
    )
    return [Item(content, row) for content, row in found]


async def _timeline(
    root: Any, info: Info, yearFrom: int | None = None, yearTo: int | None = None
) -> list[YearGroup]:
    groups = await lists.timeline(
        info.context.db, visibility=info.context.visibility, year_from=yearFrom, year_to=yearTo
    )
    return [YearGroup(year=g.year, events=[Item(EVENT, row) for row in g.events]) for g in groups]


async def _revisions(root: Any, info: Info, id: strawberry.ID) -> list[Revision]:
    return await revisions_of(info, id)


def build_query(extra: Mapping[str, Any] | None = None) -> type:
    """The Query root derived from the model, then the ``extra`` fields other packages contribute
    (the webhook admin fields of accord.push, handed over by accord.services)."""
    namespace: dict[str, Any] = {
        "node": query_field(_node, Node | None, arguments=[("id", strawberry.ID, REQUIRED)]),
    }
    for content in ROOT_ORDER:
        namespace[content.singular] = _lookup_field(content)
        namespace[content.plural] = _list_field(content)
    namespace["search"] = query_field(
        _search,
        list[SearchResult],
        "Ranked full-text search across all content types and both locales.",
        arguments=[("query", str, REQUIRED), ("first", int | None, 20)],
    )
    namespace["timeline"] = query_field(
        _timeline,
        list[YearGroup],
        "Published events grouped by year, oldest first.",
        arguments=[("yearFrom", int | None, None), ("yearTo", int | None, None)],
    )
    namespace["revisions"] = query_field(
        _revisions,
        list[Revision],
        "Every recorded write to one piece of content, newest first (token holders).",
        arguments=[("id", strawberry.ID, REQUIRED)],
    )
    namespace.update(_extra(namespace, extra))
    return strawberry.type(type("Query", (), namespace))


# -- mutations --------------------------------------------------------------------------------


def _writer(info: Info) -> ContentWriter:
    writer = info.context.writer
    assert writer is not None, "mutations run with a writer in the context"
    return writer


async def _written(info: Info, content: ContentType, result: WriteResult) -> Item:
    # A fresh connection: one opened before the write could still be reading the old snapshot.
    await info.context.db.close()
    row = await lists.get_by_id(info.context.db, content, result.id, EDITOR)
    assert row is not None
    return Item(content, row)


def _mutations(content: ContentType) -> dict[str, Any]:
    node_type = OBJECT_TYPES[content.name]

    async def create(root: Any, info: Info, input: Any) -> Item:
        request = to_request(content, input, patch=False)
        return await _written(
            info, content, await _writer(info).create(info.context.viewer, content, request)
        )

    async def update(
        root: Any, info: Info, id: str, input: Any, expectedUpdatedAt: datetime | None = None
    ) -> Item:
        request = to_request(content, input, patch=True)
        result = await _writer(info).update(info.context.viewer, content, id, request, expectedUpdatedAt)
        return await _written(info, content, result)

    async def publish(root: Any, info: Info, id: str, at: datetime | None = None) -> Item:
        result = await _writer(info).publish(info.context.viewer, content, id, at)
        return await _written(info, content, result)

    async def archive(root: Any, info: Info, id: str) -> Item:
        result = await _writer(info).set_status(info.context.viewer, content, id, Status.ARCHIVED)
        return await _written(info, content, result)

    async def delete(root: Any, info: Info, id: str) -> strawberry.ID:
        result = await _writer(info).delete(info.context.viewer, content, id)
        return strawberry.ID(to_global_id(result.type_name, result.id))

    id_argument = ("id", strawberry.ID, REQUIRED)
    expected = (
        "expectedUpdatedAt",
        Annotated[datetime | None, strawberry.argument(description=EXPECTED)],
        None,
    )
    name = content.name
    return {
        f"create{name}": mutation(create, node_type, arguments=[("input", create_input(content), REQUIRED)]),
        f"update{name}": mutation(
            update, node_type, arguments=[id_argument, ("input", patch_input(content), REQUIRED), expected]
        ),
        f"publish{name}": mutation(
            publish,
            node_type,
            arguments=[
                id_argument,
                ("at", Annotated[datetime | None, strawberry.argument(description=AT)], None),
            ],
        ),
        f"archive{name}": mutation(archive, node_type, arguments=[id_argument]),
        f"delete{name}": mutation(delete, strawberry.ID, content.delete_description, arguments=[id_argument]),
    }


async def _restore(root: Any, info: Info, revisionId: strawberry.ID) -> Item:
    number = parse_natural(revisionId)
    if number is None:
        raise BadInput("revisionId: not a revision id", field="revisionId")
    result = await _writer(info).restore(info.context.viewer, number)
    if result.schedule_lapsed is not None:
        when = result.schedule_lapsed.isoformat()
        info.context.warnings.append(
            {
                "code": LAPSED,
                "path": list(info.path.as_list()),
                "message": (
                    f"the revision was scheduled to be published at {when}, which has passed: "
                    "the content is restored unpublished and unscheduled; publish it, or schedule it again"
                ),
                "scheduledAt": when,
            }
        )
    return await _written(info, BY_NAME[result.type_name], result)


async def _cancel_schedule(root: Any, info: Info, id: strawberry.ID) -> Item:
    result = await _writer(info).cancel_schedule(info.context.viewer, id)
    return await _written(info, BY_NAME[result.type_name], result)


async def _preview_link(
    root: Any, info: Info, id: strawberry.ID, expiresIn: str | None = "24h"
) -> PreviewLink:
    require(info.context.viewer, "preview_link")
    id_ = expect_type(id, EVENT.name)
    lifetime = parse_lifetime("24h" if expiresIn is None else expiresIn)
    previews = info.context.previews
    assert previews is not None, "mutations run with preview links in the context"
    row: ContentRow | None = await lists.get_by_id(info.context.db, EVENT, id_, EDITOR)
    if row is None:
        raise NotFound("id: no event with that id", field="id")
    link = await previews.link(EVENT.name, row.id, row.slug, lifetime, utcnow())
    return PreviewLink(url=link.url, expires_at=link.expires)


def mutation(function: Any, returns: Any, description: str | None = None, arguments: Any = ()) -> Any:
    return strawberry.mutation(resolver=resolver(function, returns, arguments), description=description)


def _extra(namespace: Mapping[str, Any], extra: Mapping[str, Any] | None) -> Mapping[str, Any]:
    taken = set(namespace) & set(extra or {})
    if taken:
        raise ValueError(f"extra root fields would replace the model's: {sorted(taken)}")
    return extra or {}


def build_mutation(extra: Mapping[str, Any] | None = None) -> type:
    """The Mutation root derived from the model, then the ``extra`` fields (see ``build_query``)."""
    namespace: dict[str, Any] = {}
    for content in ROOT_ORDER:
        namespace.update(_mutations(content))
    namespace["restore"] = mutation(
        _restore,
        Node,
        "Put content back as a revision left it; a deletion is undone. A scheduled publish comes back "
        "with it unless its time has passed (extensions.warnings then says so).",
        arguments=[("revisionId", strawberry.ID, REQUIRED)],
    )
    namespace["cancelScheduledPublish"] = mutation(
        _cancel_schedule,
        Node,
        "Take back a publish scheduled with publishEvent(at:) and its siblings; the content stays as it "
        "is. Content with nothing scheduled is returned unchanged.",
        arguments=[("id", strawberry.ID, REQUIRED)],
    )
    namespace["previewLink"] = mutation(
        _preview_link,
        PreviewLink,
        "A link to an event on the timeline page that shows it as it is now, published or not, to "
        "anybody who has the link, until it expires (editors and admins).",
        arguments=[
            ("id", strawberry.ID, REQUIRED),
            (
                "expiresIn",
                Annotated[
                    str | None,
                    strawberry.argument(description="How long the link works: 30m, 24h, 7d (1m to 30d)."),
                ],
                "24h",
            ),
        ],
    )
    namespace.update(_extra(namespace, extra))
    # The image mutations (uploadImage and its siblings) are written out in accord.schema.images.
    return strawberry.type(type("Mutation", (ImageMutations,), namespace))


Query = build_query()
Mutation = build_mutation()

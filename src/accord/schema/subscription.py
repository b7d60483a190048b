"""The Subscription root: the shape of ``milestoneAdded``.

accord.live runs it: subscribers with the same document, variables and locale share one execution
per milestone (accord.live.groups), over WebSocket and Server-Sent Events. Its arguments are read
there, the way the compiled path reads any field's arguments; strawberry never runs this resolver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from accord.schema.types import EventType, Info, resolver

SINCE = "Replay the milestones published after this moment first, then go live (no gap, no duplicate)."
DESCRIPTION = (
    "A milestone event became PUBLISHED (created published, or published later). "
    "Optional partner slug / tag filters."
)


async def _served_by_accord_live(root: Any, info: Info, **_arguments: Any) -> AsyncIterator[Any]:
    raise GraphQLError(
        "subscriptions are served over WebSocket (graphql-transport-ws) and Server-Sent Events",
        extensions={"code": "BAD_REQUEST"},
    )
    yield  # an async generator, as strawberry requires of a subscription  # pragma: no cover


_milestone_added = strawberry.subscription(
    resolver=resolver(
        _served_by_accord_live,
        AsyncIterator[EventType],  # type: ignore[valid-type]
        [
            ("partner", str | None, None),
            ("tag", str | None, None),
            ("since", Annotated[datetime | None, strawberry.argument(description=SINCE)], None),
        ],
    ),
    description=DESCRIPTION,
)

Subscription = strawberry.type(type("Subscription", (), {"milestoneAdded": _milestone_added}))

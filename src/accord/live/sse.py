"""Live milestones as Server-Sent Events, for clients without WebSocket: /feeds/milestones/stream.

Each event is ``event: milestone``, ``id: <change id>`` and ``data:`` the JSON of a fixed selection
(the same one for everybody, executed once per milestone and locale). A reconnecting EventSource
sends ``Last-Event-ID`` and gets what it missed first; ``?since=ISO-8601`` does the same by time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from accord.core.errors import BadInput, Unauthenticated
from accord.core.locale import ALLOWED_TAGS, locale_from_accept_language, locale_of_tag
from accord.core.moments import replay_start
from accord.core.numbers import parse_natural
from accord.core.visibility import visibility_of
from accord.live.groups import Member, group_key
from accord.live.hub import MilestoneFilter
from accord.models.enums import Locale

if TYPE_CHECKING:
    from accord.live.runtime import Live

SSE_QUERY = """subscription MilestoneStream {
  milestoneAdded {
    id slug title summary isMilestone publishedAt
    date { iso label } endDate { iso label } places tags kind
    partners { id slug name shortName }
    agreements { id slug title kind }
  }
}"""
HEARTBEAT_SECONDS = 15.0
log = logging.getLogger("accord.live")


def _locale(request: Request) -> Locale:
    value = request.query_params.get("locale")
    if value is None:
        return locale_from_accept_language(request.headers.get("accept-language"))
    found = locale_of_tag(value)
    if found is None:
        raise BadInput(f"locale must be {ALLOWED_TAGS}")
    return found


def _resume_point(request: Request) -> tuple[datetime | None, int | None]:
    last_id = request.headers.get("last-event-id") or request.query_params.get("lastEventId")
    if last_id:
        change_id = parse_natural(last_id)
        if change_id is None:
            raise BadInput("Last-Event-ID must be the id of an event this stream sent")
        return None, change_id
    since = request.query_params.get("since")
    if since is None:
        return None, None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise BadInput("since must be an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z") from None
    return replay_start(moment), None


async def milestone_events(request: Request, live: Live) -> Response:
    try:
        locale = _locale(request)
        since, after_change = _resume_point(request)
    except BadInput as exc:
        return PlainTextResponse(str(exc), status_code=400)
    try:
        # A token (a staging site's preview token, say) sees what it sees over GraphQL.
        viewer = await live.contexts.viewer_for(request.headers.get("authorization"))
    except Unauthenticated as exc:
        return PlainTextResponse(str(exc), status_code=401, headers={"WWW-Authenticate": "Bearer"})
    visibility = visibility_of(viewer)
    milestone_filter = MilestoneFilter(
        partner=request.query_params.get("partner"), tag=request.query_params.get("tag")
    )
    variables = {"partner": milestone_filter.partner, "tag": milestone_filter.tag}
    # An operation name no GraphQL document can have keeps these groups apart from WebSocket ones.
    prepared = live.pipeline.prepare(SSE_QUERY)
    # The filter is not in the document: it is part of the key, so each filter has its own group.
    key = replace(group_key(prepared, None, None, locale, visibility), variables=orjson.dumps(variables))
    group = live.groups.group(key, prepared, None, milestone_filter, None)
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)

    async def send(change_id: int, payload: str) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a reader this far behind reconnects with Last-Event-ID
            queue.put_nowait(f"id: {change_id}\nevent: milestone\ndata: {payload}\n\n")

    member = Member(send=send)

    async def stream() -> AsyncIterator[str]:
        join = asyncio.create_task(group.join(member, since=since, after_change=after_change))
        stopping = asyncio.create_task(live.stopping.event.wait())
        next_event: asyncio.Task[str] = asyncio.create_task(queue.get())
        try:
            yield "retry: 2000\n\n"
            while True:
                waiting = {next_event, stopping} if join.done() else {next_event, stopping, join}
                done, _ = await asyncio.wait(
                    waiting, timeout=HEARTBEAT_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if stopping in done:
                    return  # the server is stopping: end the stream; the browser reconnects elsewhere
                if join in done and join.exception() is not None:
                    # The replay failed: say so and end the stream, rather than go quiet.
                    incident = uuid.uuid4().hex[:12]
                    log.error(
                        "replaying milestones failed (incident %s)", incident, exc_info=join.exception()
                    )
                    yield f"event: error\ndata: {orjson.dumps({'incident': incident}).decode()}\n\n"
                    return
                if next_event in done:
                    yield next_event.result()
                    next_event = asyncio.create_task(queue.get())
                else:
                    yield ": keep-alive\n\n"
        finally:
            for task in (join, stopping, next_event):
                task.cancel()
            group.leave(member)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={
            "Cache-Control": "no-cache" if viewer is None else "private, no-store",
            "X-Accel-Buffering": "no",
        },
    )

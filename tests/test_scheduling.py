"""Scheduled publishing over live HTTP, WebSocket and SSE: a scheduled milestone is a draft for
everybody until its time, then published once, everywhere, with publishedAt equal to the scheduled
time; one instance (of two on PostgreSQL, or of two workers on SQLite) publishes each item; a
server that was down at the time catches up when it starts; bad schedules are refused."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select, update

from accord.core.ids import from_global_id
from accord.core.tables import changes, events
from accord.db import create_sync_engine
from tests.harness.databases import seed, sqlite_url
from tests.harness.desk import Desk, soon, taipei, wait_past
from tests.harness.images import encode, marked
from tests.harness.postgres import PostgresServer
from tests.harness.server import LiveServer, live_server, run_accord
from tests.harness.uploads import multipart_upload, uploaded
from tests.harness.waiting import wait_until
from tests.harness.ws import ws_client

SUBSCRIPTION = 'subscription { milestoneAdded(tag: "ceremony") { slug publishedAt } }'
EVENTS_QUERY = '{ events(filter: {tag: "ceremony"}) { totalCount edges { node { slug } } } }'


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _published_changes(url: str, node_id: str) -> int:
    """Change-log entries that publish this item, read from the database itself."""
    type_name, number = from_global_id(node_id)
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(
                changes.c.content_type == type_name,
                changes.c.content_id == number,
                changes.c.action == "publish",
            )
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


async def test_a_scheduled_milestone_is_a_draft_until_its_time_then_everywhere_once(
    database_url: str, logs: Path
) -> None:
    seed(database_url)
    with live_server(database_url, logs) as server:
        desk = Desk.open(server, "ceremony")
        event_id = desk.create_event("signing-ceremony", tags=["ceremony"])
        feed = "/feeds/milestones.json?tag=ceremony"
        graphql_get = f"/graphql?query={EVENTS_QUERY}"
        async with ws_client(server.ws_url) as subscriber, httpx.AsyncClient(timeout=30) as http:
            await subscriber.subscribe("1", SUBSCRIPTION)
            async with http.stream("GET", f"{server.url}/feeds/milestones/stream?tag=ceremony") as stream:
                sse_lines: list[str] = []
                sse_events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

                async def read_sse() -> None:
                    async for line in stream.aiter_lines():
                        sse_lines.append(line)
                        if line.startswith("data:"):
                            await sse_events.put(json.loads(line[5:]))

                reader = asyncio.create_task(read_sse())
                await asyncio.to_thread(wait_until, lambda: desk.subscribers() >= 2, "two subscribers")
                feed_before = desk.get(feed).headers["etag"]
                answer_before = desk.get(graphql_get).headers["etag"]

                at = soon(3)
                scheduled = desk.schedule(event_id, taipei(at))
                assert scheduled["status"] == "DRAFT"
                assert _moment(scheduled["scheduledAt"]) == at
                assert scheduled["scheduledAt"].endswith("+00:00")  # stored and shown in UTC

                # Before its time: a draft in every way for anonymous readers.
                assert desk.event("signing-ceremony") is None
                assert desk.data(EVENTS_QUERY)["events"]["totalCount"] == 0
                assert desk.data('{ search(query: "signing-ceremony") { __typename } }')["search"] == []
                timeline = desk.data("{ timeline(yearFrom: 2026) { events { slug } } }")["timeline"]
                assert "signing-ceremony" not in [e["slug"] for g in timeline for e in g["events"]]
                assert desk.get(feed).headers["etag"] == feed_before
                assert desk.get(graphql_get).headers["etag"] == answer_before
                assert desk.get(graphql_get, **{"If-None-Match": answer_before}).status_code == 304
                # Token holders see the schedule; nobody else does, even where they see the item.
                assert _moment(desk.event("signing-ceremony", "preview")["scheduledAt"]) == at  # type: ignore[index]
                assert datetime.now(UTC) < at, "the checks before the scheduled time took too long"

                # At its time: one `next` on the socket, one SSE event.
                payload = await subscriber.next_payload("1", timeout=20)
                announced = payload["data"]["milestoneAdded"]
                assert announced["slug"] == "signing-ceremony"
                assert _moment(announced["publishedAt"]) == at
                sse = await asyncio.wait_for(sse_events.get(), 20)
                assert sse["data"]["milestoneAdded"]["slug"] == "signing-ceremony"

                published = desk.event("signing-ceremony")
                assert published is not None and published["status"] == "PUBLISHED"
                assert _moment(published["publishedAt"]) == at
                assert published["scheduledAt"] is None
                assert desk.event("signing-ceremony", "editor")["scheduledAt"] is None  # type: ignore[index]
                assert desk.get(feed).headers["etag"] != feed_before
                assert [item["url"].rsplit("/", 1)[-1] for item in desk.get(feed).json()["items"]] == [
                    "signing-ceremony"
                ]
                assert desk.get(graphql_get).headers["etag"] != answer_before
                assert desk.data(EVENTS_QUERY)["events"]["totalCount"] == 1

                # Once: the next milestone is the next message, on both.
                desk.create_event("after-the-ceremony", tags=["ceremony"], status="PUBLISHED")
                following = await subscriber.next_payload("1", timeout=20)
                assert following["data"]["milestoneAdded"]["slug"] == "after-the-ceremony"
                following_sse = await asyncio.wait_for(sse_events.get(), 20)
                assert following_sse["data"]["milestoneAdded"]["slug"] == "after-the-ceremony"
                reader.cancel()

        history = desk.revisions(event_id)
        assert [(r["action"], r["tokenName"]) for r in history] == [
            ("publish", "(scheduler)"),
            ("schedule", "ceremony-editor"),
            ("create", "ceremony-editor"),
        ]
        assert _published_changes(database_url, event_id) == 1


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[Desk]:
    url = sqlite_url(tmp_path_factory.mktemp("schedule-desk"))
    seed(url)
    with live_server(url, logs) as server:
        yield Desk.open(server)


def _revision_count(desk: Desk, node_id: str) -> int:
    return len(desk.revisions(node_id))


PUBLISH = "mutation($id: ID!, $at: DateTime) { publishEvent(id: $id, at: $at) { status scheduledAt } }"


@pytest.mark.parametrize(
    ("slug", "at", "message"),
    [
        (
            "no-offset",
            "2027-03-01T10:00:00",
            "at: give the time with its offset, e.g. 2027-03-01T10:00:00+08:00",
        ),
        ("no-time", "eleven years", None),
        ("out-of-range", "9999-12-31T23:59:59-14:00", "at: that moment is out of range"),
    ],
)
def test_a_time_without_an_offset_or_no_time_at_all_is_refused(
    desk: Desk, slug: str, at: str, message: str | None
) -> None:
    event_id = desk.create_event(slug)
    before = _revision_count(desk, event_id)
    error = desk.error(PUBLISH, {"id": event_id, "at": at}, "editor")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    if message is not None:
        assert error["message"].startswith(message)
        assert error["extensions"]["field"] == "at"
    assert _revision_count(desk, event_id) == before


def test_more_than_ten_years_ahead_is_refused(desk: Desk) -> None:
    event_id = desk.create_event("far-ahead")
    now = datetime.now(UTC)
    too_far = now.replace(year=now.year + 10) + timedelta(days=1)
    error = desk.error(PUBLISH, {"id": event_id, "at": taipei(too_far)}, "editor")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "at"}
    assert "at most 10 years ahead" in error["message"]
    within = now.replace(year=now.year + 10) - timedelta(days=1)
    assert _moment(desk.schedule(event_id, taipei(within))["scheduledAt"]) == within


def test_published_content_cannot_be_scheduled_and_a_past_time_publishes_now(desk: Desk) -> None:
    published = desk.create_event("already-out", status="PUBLISHED")
    before = _revision_count(desk, published)
    error = desk.error(PUBLISH, {"id": published, "at": taipei(soon(3600))}, "editor")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "at"}
    assert error["message"] == (
        "at: the event is published already; only drafts and archived content can be scheduled"
    )
    assert _revision_count(desk, published) == before

    draft = desk.create_event("late-for-it")
    started = datetime.now(UTC)
    past = desk.data(PUBLISH, {"id": draft, "at": "2020-01-01T10:00:00+08:00"}, "editor")["publishEvent"]
    assert past == {"status": "PUBLISHED", "scheduledAt": None}
    found = desk.event("late-for-it")
    assert found is not None and _moment(found["publishedAt"]) >= started  # type: ignore[operator]


def test_editing_keeps_the_schedule_archiving_and_deleting_cancel_it_restoring_brings_it_back(
    desk: Desk,
) -> None:
    event_id = desk.create_event("moving-parts")
    at = soon(86_400)
    desk.schedule(event_id, taipei(at))
    update = (
        'mutation($id: ID!) { updateEvent(id: $id, input: {summary: {en: "New"}}) { status scheduledAt } }'
    )
    edited = desk.data(update, {"id": event_id}, "editor")["updateEvent"]
    assert edited["status"] == "DRAFT" and _moment(edited["scheduledAt"]) == at

    archived = desk.data(
        "mutation($id: ID!) { archiveEvent(id: $id) { status scheduledAt } }", {"id": event_id}, "editor"
    )["archiveEvent"]
    assert archived == {"status": "ARCHIVED", "scheduledAt": None}
    schedule_revision = next(r for r in desk.revisions(event_id) if r["action"] == "schedule")
    restore = "mutation($r: ID!) { restore(revisionId: $r) { ... on Event { status scheduledAt } } }"
    restored = desk.call(restore, {"r": schedule_revision["id"]}, "editor")
    assert "warnings" not in restored["extensions"]
    assert restored["data"]["restore"]["status"] == "DRAFT"
    assert _moment(restored["data"]["restore"]["scheduledAt"]) == at

    deleted = desk.data("mutation($id: ID!) { deleteEvent(id: $id) }", {"id": event_id}, "admin")
    assert deleted == {"deleteEvent": event_id}
    deletion = desk.revisions(event_id)[0]
    assert deletion["action"] == "delete"
    back = desk.data(restore, {"r": deletion["id"]}, "editor")["restore"]
    assert _moment(back["scheduledAt"]) == at

    cancel = "mutation($id: ID!) { cancelScheduledPublish(id: $id) { ... on Event { status scheduledAt } } }"
    assert desk.data(cancel, {"id": event_id}, "editor")["cancelScheduledPublish"] == {
        "status": "DRAFT",
        "scheduledAt": None,
    }
    assert desk.revisions(event_id)[0]["action"] == "unschedule"
    count = _revision_count(desk, event_id)
    assert desk.data(cancel, {"id": event_id}, "editor")["cancelScheduledPublish"]["scheduledAt"] is None
    assert _revision_count(desk, event_id) == count  # nothing to cancel: nothing written

    for bad, code in (("nonsense", "BAD_USER_INPUT"), ("RXZlbnQ6OTk5OTk", "NOT_FOUND")):
        assert desk.error(cancel, {"id": bad}, "editor")["extensions"]["code"] == code
    assert desk.error(cancel, {"id": event_id})["extensions"]["code"] == "UNAUTHENTICATED"


def test_restoring_a_schedule_whose_time_has_passed_leaves_a_draft_and_says_so(desk: Desk) -> None:
    event_id = desk.create_event("missed-the-date")
    at = soon(5)
    desk.schedule(event_id, taipei(at))
    cancel = "mutation($id: ID!) { cancelScheduledPublish(id: $id) { ... on Event { status scheduledAt } } }"
    assert desk.data(cancel, {"id": event_id}, "editor")["cancelScheduledPublish"] == {
        "status": "DRAFT",
        "scheduledAt": None,
    }, "cancelled after the scheduled time: the machine is too slow for this test"
    schedule_revision = next(r for r in desk.revisions(event_id) if r["action"] == "schedule")
    assert _moment(schedule_revision["after"]["scheduled_at"]) == at
    wait_past(at)
    restore = "mutation($r: ID!) { restore(revisionId: $r) { ... on Event { status scheduledAt } } }"
    answer = desk.call(restore, {"r": schedule_revision["id"]}, "editor")
    assert answer["data"]["restore"] == {"status": "DRAFT", "scheduledAt": None}
    [warning] = answer["extensions"]["warnings"]
    assert warning["code"] == "SCHEDULE_LAPSED" and warning["path"] == ["restore"]
    assert _moment(warning["scheduledAt"]) == at
    assert warning["message"].startswith(f"the revision was scheduled to be published at {at.isoformat()}")
    assert desk.revisions(event_id)[0]["after"].get("scheduled_at") is None


def test_partners_agreements_and_exhibits_are_scheduled_the_same_way(desk: Desk) -> None:
    created = {}
    for type_name, document in (
        ("Partner", 'createPartner(input: {name: {en: "Later Partner"}, kind: OTHER}) { id }'),
        ("Agreement", 'createAgreement(input: {title: {en: "Later Agreement"}, kind: OTHER}) { id }'),
        ("Exhibit", 'createExhibit(input: {title: {en: "Later Exhibit"}, kind: OTHER}) { id }'),
    ):
        created[type_name] = desk.data(f"mutation {{ {document} }}", role="editor")[f"create{type_name}"][
            "id"
        ]
    # The exhibit has a picture: not public until the exhibit is published at its time.
    picture = uploaded(
        multipart_upload(
            desk.server.graphql_url,
            encode(marked((640, 480)), "JPEG"),
            headers=desk.tokens["editor"],
            exhibit_id=created["Exhibit"],
        )
    )
    picture_path = urlsplit(picture["url"]).path
    at = soon(6)
    for type_name, node_id in created.items():
        assert _moment(desk.schedule(node_id, taipei(at), type_name)["scheduledAt"]) == at
    assert desk.get(picture_path).status_code == 404
    status = (
        "query($id: ID!) { node(id: $id) { "
        "... on Partner { status } ... on Agreement { status } ... on Exhibit { status } } }"
    )
    for node_id in created.values():
        assert desk.data(status, {"id": node_id})["node"] is None
    assert datetime.now(UTC) < at, "the checks before the scheduled time took too long"
    for node_id in created.values():
        wait_until(lambda node_id=node_id: desk.data(status, {"id": node_id})["node"], "the publish")  # type: ignore[misc]
        assert [r["action"] for r in desk.revisions(node_id)][:2] == ["publish", "schedule"]
    assert desk.get(picture_path).status_code == 200
    shown = desk.data('{ exhibit(slug: "later-exhibit") { images { url(width: 640, format: WEBP) } } }')[
        "exhibit"
    ]["images"]
    assert [urlsplit(image["url"]).path for image in shown] == [picture_path]


def test_export_and_import_carry_the_schedule(desk: Desk, tmp_path: Path) -> None:
    event_id = desk.create_event("exported-schedule")
    at = soon(7 * 86_400)
    desk.schedule(event_id, taipei(at))
    exported = run_accord("export", str(tmp_path / "all.yaml"), env=desk.server.env)
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "all.yaml").read_text()
    record = text[text.index("slug: exported-schedule") :].split("\n- slug:")[0]
    assert f"scheduled_at: '{at.isoformat().replace('+00:00', 'Z')}'" in record, record
    assert "scheduled_at: null" not in text  # unscheduled records do not carry it
    fresh = {**desk.server.env, "ACCORD_DATABASE_URL": sqlite_url(tmp_path, "fresh.db")}
    assert run_accord("db", "upgrade", env=fresh).returncode == 0
    imported = run_accord("import", str(tmp_path / "all.yaml"), env=fresh)
    assert imported.returncode == 0, imported.stderr
    listed = run_accord("schedule", "list", env=fresh)
    assert listed.returncode == 0, listed.stderr
    assert "exported-schedule" in listed.stdout and at.strftime("%Y-%m-%d %H:%M:%S") in listed.stdout


def test_a_server_stopped_across_the_scheduled_time_catches_up_in_scheduled_order(
    tmp_path: Path, logs: Path
) -> None:
    url = sqlite_url(tmp_path)
    seed(url)
    with live_server(url, logs) as server:
        desk = Desk.open(server, "downtime")
        later = desk.create_event("scheduled-second")
        earlier = desk.create_event("scheduled-first")
        second_at, first_at = soon(7), soon(6)
        desk.schedule(later, taipei(second_at))
        desk.schedule(earlier, taipei(first_at))
        env = server.env
        server.stop()
        assert datetime.now(UTC) < first_at, "stopping the server took too long"
    listed = run_accord("schedule", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.index("scheduled-first") < listed.stdout.index("scheduled-second")
    wait_past(second_at + timedelta(milliseconds=200))
    assert "nothing is scheduled" not in run_accord("schedule", "list", env=env).stdout  # nobody published
    with live_server(url, logs) as restarted:
        desk.server = restarted
        for slug, at in (("scheduled-first", first_at), ("scheduled-second", second_at)):
            found = wait_until(lambda slug=slug: desk.event(slug), f"{slug} published")  # type: ignore[misc]
            assert found is not None and _moment(found["publishedAt"]) == at
        publish_ids = [int(desk.revisions(node_id)[0]["id"]) for node_id in (earlier, later)]
        assert publish_ids[0] < publish_ids[1], "published out of scheduled order"
    assert run_accord("schedule", "list", env=env).stdout.strip() == "nothing is scheduled"


def _publish_lines(server: LiveServer) -> list[str]:
    return re.findall(r"published event ([0-9]+) scheduled for", server.log())


@pytest.mark.parametrize("setup", ["postgresql-two-instances", "sqlite-two-workers"])
def test_each_item_is_published_once_however_many_processes_look(
    setup: str, tmp_path: Path, logs: Path, request: pytest.FixtureRequest
) -> None:
    # Every process looks twenty times a second, so they all reach the due items together.
    env = {"ACCORD_SCHEDULE_POLL_SECONDS": "0.05", "ACCORD_LOG_LEVEL": "info"}
    if setup.startswith("postgresql"):
        postgres: PostgresServer = request.getfixturevalue("postgres")
        url = postgres.url(postgres.create_database())
    else:
        url = sqlite_url(tmp_path)
    seed(url)
    with ExitStack() as stack:
        if setup.startswith("sqlite"):
            servers = [stack.enter_context(live_server(url, logs, extra_env=env, workers=2))]
        else:
            servers = [stack.enter_context(live_server(url, logs, extra_env=env)) for _ in range(2)]
        desk = Desk.open(servers[0], "race")
        items = [desk.create_event(f"race-{n}") for n in range(8)]
        # All at the same moment, far enough ahead that every schedule is in before it comes.
        at = soon(10)
        for node_id in items:
            assert desk.schedule(node_id, taipei(at))["status"] == "DRAFT"
        assert datetime.now(UTC) < at, "scheduling took too long"
        for n in range(len(items)):
            wait_until(lambda n=n: desk.event(f"race-{n}"), f"race-{n} published")  # type: ignore[misc]
        for node_id in items:
            assert _published_changes(url, node_id) == 1
            assert [r["action"] for r in desk.revisions(node_id)].count("publish") == 1

        # Each item was published by exactly one process (the log says which published what; a
        # line is written just after the commit, so it may trail the answer that shows the publish).
        def logged() -> list[str]:
            return sorted(line for server in servers for line in _publish_lines(server))

        wait_until(lambda: len(logged()) >= len(items), "every publish logged")
        assert logged() == sorted(str(from_global_id(i)[1]) for i in items)


def test_scheduled_at_is_null_for_anonymous_readers_wherever_they_read_it(desk: Desk) -> None:
    """The field is gated by who reads, not by what is stored: a row that is visible to anonymous
    readers and carries a schedule (written straight into the database here, as the API never
    leaves one on published content) still reads null to them, however the query is answered."""
    event_id = desk.create_event("gated-schedule", status="PUBLISHED")
    at = soon(5 * 365 * 86_400).replace(microsecond=0)
    engine = create_sync_engine(desk.server.env["ACCORD_DATABASE_URL"])
    number = from_global_id(event_id)[1]
    try:
        with engine.begin() as conn:
            conn.execute(update(events).where(events.c.id == number).values(scheduled_at=at))
        documents = [
            '{ event(slug: "gated-schedule") { scheduledAt } }',
            '{ event(slug: "gated-schedule") { scheduledAt ... on Node { id } } }',
            '{ events { totalCount } event(slug: "gated-schedule") { __typename scheduledAt } }',
        ]
        for document in documents:
            assert desk.data(document)["event"]["scheduledAt"] is None, document
            assert _moment(desk.data(document, role="preview")["event"]["scheduledAt"]) == at, document
        node = "query($id: ID!) { node(id: $id) { ... on Event { scheduledAt } } }"
        assert desk.data(node, {"id": event_id})["node"] == {"scheduledAt": None}
        assert _moment(desk.data(node, {"id": event_id}, "editor")["node"]["scheduledAt"]) == at
    finally:
        with engine.begin() as conn:
            conn.execute(update(events).where(events.c.id == number).values(scheduled_at=None))
        engine.dispose()

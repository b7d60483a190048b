"""accord.push.outbox (with accord.push.events, topics and payload): which deliveries a change owes,
computed in the change's transaction on in-memory SQLite loaded with a small document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, select, update

from accord.content.document import ContentRecord, parse_document
from accord.content.model import BY_NAME, EVENT, PARTNER
from accord.content.reader import read_records
from accord.content.service import load_document
from accord.core.ids import to_global_id
from accord.live.sse import SSE_QUERY
from accord.models.columns import utcnow
from accord.models.enums import Status
from accord.push.events import (
    CATALOGUE,
    CONTENT_ARCHIVED,
    CONTENT_DELETED,
    CONTENT_PUBLISHED,
    CONTENT_UPDATED,
    MILESTONE_PUBLISHED,
    WEBHOOK_TEST,
    ContentChange,
    events_of,
    partners_of,
    tags_of,
)
from accord.push.outbox import (
    PENDING,
    _enqueue,
    deliveries,
    endpoints,
    enqueue_after_load,
    subscriptions,
)
from accord.push.payload import EVENT_SELECTION, SELECTIONS, Selection, content_data
from accord.push.topics import appears_in
from tests.unit.test_content_files import SMALL
from tests.unit.test_content_service import migrated


@pytest.fixture
def engine() -> Iterator[Engine]:
    created = migrated()
    load_document(created, parse_document("small", SMALL))
    yield created
    created.dispose()


def _record(conn: Connection, type_name: str, slug: str) -> tuple[int, ContentRecord]:
    content = BY_NAME[type_name]
    id_ = conn.execute(select(content.table.c.id).where(content.table.c.slug == slug)).scalar_one()
    (record,) = read_records(conn, content, [id_])
    return id_, record


def _change(
    id_: int, before: ContentRecord | None, after: ContentRecord | None, action: str = "update"
) -> ContentChange:
    record = after or before
    assert record is not None
    milestone = EVENT.milestone_flag
    published = (
        record.content_type is EVENT
        and after is not None
        and after.status is Status.PUBLISHED
        and bool(getattr(after, milestone or ""))
        and not (
            before is not None and before.status is Status.PUBLISHED and getattr(before, milestone or "")
        )
    )
    return ContentChange(record.content_type.name, id_, action, 7, published, before, after)


def _subscribe(conn: Connection, key: str, criteria: dict[str, Any], state: str = "active") -> int:
    now = utcnow()
    new_id: int = conn.execute(
        insert(subscriptions)
        .values(
            key=key,
            topic=f"http://127.0.0.1:8000/feeds/{key}.atom",
            callback=f"http://127.0.0.1:9/{key}",
            criteria=criteria,
            state=state,
            lease_seconds=3600,
            lease_expires_at=now + timedelta(hours=1),
            created_at=now,
            updated_at=now,
        )
        .returning(subscriptions.c.id)
    ).scalar_one()
    return new_id


def _endpoint(conn: Connection, events: list[str], **filters: str) -> int:
    now = utcnow()
    new_id: int = conn.execute(
        insert(endpoints)
        .values(
            url="http://127.0.0.1:9/hook",
            events=events,
            secret="whsec_" + "A" * 43 + "=",
            enabled=True,
            consecutive_failures=0,
            created_at=now,
            updated_at=now,
            **filters,
        )
        .returning(endpoints.c.id)
    ).scalar_one()
    return new_id


def _owed(conn: Connection) -> list[tuple[int | None, int | None, str]]:
    query = select(deliveries.c.endpoint_id, deliveries.c.subscription_id, deliveries.c.event_type)
    return [tuple(row) for row in conn.execute(query.order_by(deliveries.c.id))]


def test_events_of_a_change() -> None:
    engine = migrated()
    try:
        load_document(engine, parse_document("small", SMALL))
        with engine.connect() as conn:
            id_, event = _record(conn, "Event", "e")
        milestone = event.model_copy(update={"milestone": True})
        draft = event.model_copy(update={"status": Status.DRAFT, "published_at": None})
        archived = event.model_copy(update={"status": Status.ARCHIVED})
        assert events_of(_change(id_, draft, milestone)) == [MILESTONE_PUBLISHED, CONTENT_PUBLISHED]
        assert events_of(_change(id_, event, event)) == [CONTENT_UPDATED]
        assert events_of(_change(id_, event, archived)) == [CONTENT_ARCHIVED]
        assert events_of(_change(id_, event, None, "delete")) == [CONTENT_DELETED]
        assert events_of(_change(id_, draft, draft)) == []  # drafts never leave the server
        assert events_of(_change(id_, draft, None, "delete")) == []
    finally:
        engine.dispose()


def test_partners_and_tags_of_each_content_type(engine: Engine) -> None:
    with engine.connect() as conn:
        found = {
            name: _record(conn, name, slug)[1]
            for name, slug in (
                ("Event", "e"),
                ("Partner", "wto"),
                ("Agreement", "mra"),
                ("Exhibit", "uniform"),
            )
        }
    assert {name: partners_of(record) for name, record in found.items()} == {
        "Event": {"wto"},  # its partners
        "Partner": {"wto"},  # itself
        "Agreement": {"wto"},  # its parties
        "Exhibit": {"wto"},  # its origin
    }
    assert tags_of(found["Event"]) == {"aeo"} and tags_of(found["Partner"]) == set()
    assert partners_of(None) == set() and tags_of(None) == set()


def test_which_feeds_an_event_appears_in(engine: Engine) -> None:
    with engine.connect() as conn:
        _, event = _record(conn, "Event", "e")  # 3 May 2013, tag aeo, partner wto, not a milestone
    assert appears_in(event, {"tag": "aeo", "partner": "wto", "yearFrom": 2013, "yearTo": 2013})
    assert appears_in(event, {"kind": "OTHER"})
    for criteria in (
        {"milestonesOnly": True},
        {"tag": "other"},
        {"partner": "apec"},
        {"kind": "CONFERENCE"},
        {"yearFrom": 2014},
        {"yearTo": 2012},
    ):
        assert not appears_in(event, criteria), criteria
    assert not appears_in(event.model_copy(update={"status": Status.DRAFT}), {})
    with engine.connect() as conn:
        assert not appears_in(_record(conn, "Partner", "wto")[1], {})  # feeds list events only


def test_a_partner_change_owes_the_feeds_that_show_it(engine: Engine) -> None:
    with engine.begin() as conn:
        shows = _subscribe(conn, "tagged", {"tag": "aeo"})  # shows e, which names wto
        own = _subscribe(conn, "own", {"milestonesOnly": True, "partner": "wto"})  # wto's feed
        other = _subscribe(conn, "other", {"tag": "other"})
        _subscribe(conn, "ended", {"tag": "aeo"}, state="expired")
        id_, wto = _record(conn, "Partner", "wto")
        renamed = wto.model_copy(update={"name": wto.name.model_copy(update={"en": "WTO, renamed"})})  # type: ignore[attr-defined]
        assert _enqueue(conn, _change(id_, wto, renamed)) == 2
        assert _owed(conn) == [(None, shows, "websub.distribution"), (None, own, "websub.distribution")]
        # Distributions still waiting carry the next change too: nothing is added.
        assert _enqueue(conn, _change(id_, renamed, wto)) == 0
        # A partner feeds never showed (a draft before and after) owes nothing.
        draft = wto.model_copy(update={"status": Status.DRAFT})
        conn.execute(update(deliveries).values(status="delivered"))
        assert _enqueue(conn, _change(id_, draft, draft)) == 0
        # A deleted one: its links are gone, every feed is taken to have shown it.
        assert _enqueue(conn, _change(id_, wto, None, "delete")) == 3
        assert {row[1] for row in _owed(conn)[2:]} == {shows, own, other}


def test_an_event_change_owes_its_feeds_and_its_endpoints(engine: Engine) -> None:
    with engine.begin() as conn:
        feed = _subscribe(conn, "tagged", {"tag": "aeo"})
        _subscribe(conn, "milestones", {"milestonesOnly": True})
        about_wto = _endpoint(conn, ["content.updated"], partner="wto")
        _endpoint(conn, ["content.updated"], tag="other")
        _endpoint(conn, ["content.deleted"])
        id_, event = _record(conn, "Event", "e")
        edited = event.model_copy(update={"summary": event.summary.model_copy(update={"en": "New."})})  # type: ignore[attr-defined]
        assert _enqueue(conn, _change(id_, event, edited)) == 2
        assert _owed(conn) == [(about_wto, None, "content.updated"), (None, feed, "websub.distribution")]
        body = conn.execute(
            select(deliveries.c.body).where(deliveries.c.endpoint_id == about_wto)
        ).scalar_one()
        assert '"changeId":7' in body and f'"id":"{to_global_id("Event", id_)}"' in body


def test_a_load_owes_every_active_subscription_once(engine: Engine) -> None:
    with engine.begin() as conn:
        first = _subscribe(conn, "one", {"tag": "aeo"})
        second = _subscribe(conn, "two", {"tag": "other"})
        _subscribe(conn, "gone", {}, state="gone")
        assert enqueue_after_load(conn, 3) == 2
        assert enqueue_after_load(conn, 4) == 0  # merged into the pending ones
        rows = list(
            conn.execute(select(deliveries.c.subscription_id, deliveries.c.change_id, deliveries.c.status))
        )
        assert sorted(rows) == [(first, 4, PENDING), (second, 4, PENDING)]


def test_webhook_data_has_the_milestone_payloads_fields(engine: Engine) -> None:
    def printed(selection: Selection) -> str:
        return " ".join(
            name if inner is None else f"{name} {{ {printed(inner)} }}" for name, inner in selection.items()
        )

    # Read from the milestone stream's document, field for field.
    assert f"milestoneAdded {{ {printed(EVENT_SELECTION)} }}" in " ".join(SSE_QUERY.split())
    assert SELECTIONS[PARTNER.name]["publishedAt"] is None and "events" not in SELECTIONS[PARTNER.name]
    assert SELECTIONS["Exhibit"]["origin"] == {"id": None, "slug": None, "name": None, "shortName": None}
    with engine.connect() as conn:
        id_, event = _record(conn, "Event", "e")
        data = content_data(conn, _change(id_, event, event))
        _, exhibit = _record(conn, "Exhibit", "uniform")
        exhibit_id = conn.execute(select(BY_NAME["Exhibit"].table.c.id)).scalar_one()
        exhibit_data = content_data(conn, _change(exhibit_id, exhibit, exhibit))
        assert content_data(conn, _change(id_, event, None, "delete")) is None
    assert data is not None and exhibit_data is not None
    assert list(data["en"]) == list(EVENT_SELECTION)
    wto = {"id": to_global_id("Partner", 1), "slug": "wto", "shortName": None}
    assert data["en"]["partners"] == [{**wto, "name": "World Trade Organization"}]
    assert data["zh-TW"]["partners"] == [{**wto, "name": "世界貿易組織"}]
    assert (data["en"]["title"], data["zh-TW"]["title"]) == ("E", "事")
    assert data["en"]["date"] == {"iso": "2013-05-03", "label": data["en"]["date"]["label"]}
    assert data["zh-TW"]["places"] == ["臺北"] and data["en"]["tags"] == ["aeo"]
    assert exhibit_data["en"]["origin"] == {**wto, "name": "World Trade Organization"}


def test_the_documented_event_catalogue_is_the_code_s() -> None:
    """docs/webhooks.md's catalogue table lists the event types an endpoint may ask for, in the
    words of accord.push.events, and the test event."""
    docs = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text()
    section = docs.split("## Event catalogue", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z.]+)` \| (.+?) \|$", section, re.MULTILINE))
    assert rows.pop(WEBHOOK_TEST).startswith("`accord webhook test`")
    assert rows == CATALOGUE

"""Token-authenticated writes over live HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from accord.core.tables import events as events_table
from accord.db import create_sync_engine
from accord.models import ChangeLog, Revision
from tests.harness.clients import errors_of, post
from tests.harness.databases import seed
from tests.harness.server import LiveServer, live_server, run_accord
from tests.harness.tokens import bearer, create_token

CREATE = """mutation($input: EventInput!) { createEvent(input: $input) {
  id slug status isMilestone publishedAt updatedAt title date { iso } endDate { iso } tags places
  partners { slug } agreements { slug } } }"""
UPDATE = """mutation($id: ID!, $input: EventPatch!, $expected: DateTime) {
  updateEvent(id: $id, input: $input, expectedUpdatedAt: $expected) {
    id slug title tags updatedAt status } }"""


@dataclass
class WriteServer:
    server: LiveServer
    url: str
    editor: dict[str, str]
    admin: dict[str, str]

    def gql(
        self, document: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = post(self.server, document, variables, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def ok(
        self, document: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = self.gql(document, variables, self.editor if headers is None else headers)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error(
        self, document: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = self.gql(document, variables, self.editor if headers is None else headers)
        (error,) = body["errors"]
        assert body.get("data") is None
        result: dict[str, Any] = error
        return result

    def count(self, table: str) -> int:
        engine = create_sync_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
        finally:
            engine.dispose()

    def state(self) -> dict[str, int]:
        tables = ("event", "event_partner", "event_tag", "search_document", "revision", "change_log")
        return {name: self.count(name) for name in tables}


@pytest.fixture(params=["sqlite", "postgresql"])
def writes(request: pytest.FixtureRequest, tmp_path: Path, logs: Path) -> Iterator[WriteServer]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/accord.db"
    else:
        pg = request.getfixturevalue("postgres")
        url = pg.url(pg.create_database())
    seed(url)
    with live_server(url, logs) as server:
        editor = create_token(server.env, "editor-ed")
        admin = create_token(server.env, "admin-ada", "admin")
        yield WriteServer(server, url, bearer(editor), bearer(admin))


def event_input(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": {"en": "Customs Cooperation Forum 2016"},
        "date": {"year": 2016, "month": 5},
        "kind": "CONFERENCE",
    }
    return base | overrides


def test_roles_and_tokens(writes: WriteServer) -> None:
    variables = {"input": event_input()}
    assert writes.error(CREATE, variables, headers={})["extensions"]["code"] == "UNAUTHENTICATED"
    for bad in ("Bearer acc_not-a-real-token", "Basic dXNlcjpwYXNz"):
        response = post(writes.server, CREATE, variables, headers={"Authorization": bad})
        assert response.status_code == 401
        assert errors_of(response)[0]["extensions"]["code"] == "UNAUTHENTICATED"
    created = writes.ok(CREATE, variables)["createEvent"]
    delete = "mutation($id: ID!) { deleteEvent(id: $id) }"
    assert writes.error(delete, {"id": created["id"]})["extensions"]["code"] == "FORBIDDEN"
    assert writes.ok(delete, {"id": created["id"]}, writes.admin) == {"deleteEvent": created["id"]}
    # A revoked token stops working at once.
    temporary = create_token(writes.server.env, "temporary")
    assert writes.ok("{ events(filter: {status: DRAFT}) { totalCount } }", headers=bearer(temporary))
    assert run_accord("token", "revoke", "temporary", env=writes.server.env).returncode == 0
    assert post(writes.server, "{ events { totalCount } }", headers=bearer(temporary)).status_code == 401
    listing = run_accord("token", "list", env=writes.server.env)
    assert "temporary" in listing.stdout and "acc_" not in listing.stdout


def test_draft_publish_archive_workflow(writes: WriteServer) -> None:
    partner_id = writes.ok('{ partner(slug: "wto") { id } }')["partner"]["id"]
    created = writes.ok(
        CREATE,
        {
            "input": event_input(
                isMilestone=True,
                partnerIds=[partner_id],
                tags=["wto", "forum"],
                places=[{"en": "Geneva", "zhTw": "日內瓦"}],
                summary={"en": "A forum.", "zhTw": "論壇。"},
            )
        },
    )["createEvent"]
    assert created["status"] == "DRAFT" and created["publishedAt"] is None
    assert created["slug"] == "customs-cooperation-forum-2016"  # generated from the English title
    assert created["partners"] == [{"slug": "wto"}] and created["tags"] == ["wto", "forum"]
    lookup = '{ event(slug: "customs-cooperation-forum-2016") { status } }'
    assert writes.ok(lookup, headers={}) == {"event": None}
    assert writes.ok(lookup) == {"event": {"status": "DRAFT"}}
    assert writes.ok("{ events(filter: {status: DRAFT}) { totalCount } }")["events"]["totalCount"] == 1
    before = writes.count("change_log WHERE milestone_published")
    published = writes.ok(
        "mutation($id: ID!) { publishEvent(id: $id) { status publishedAt } }", {"id": created["id"]}
    )
    assert published["publishEvent"]["status"] == "PUBLISHED" and published["publishEvent"]["publishedAt"]
    assert writes.count("change_log WHERE milestone_published") == before + 1
    assert writes.ok(lookup, headers={}) == {"event": {"status": "PUBLISHED"}}
    search = writes.ok('{ search(query: "Cooperation Forum 2016") { ... on Event { slug } } }', headers={})
    assert {"slug": "customs-cooperation-forum-2016"} in search["search"]
    writes.ok("mutation($id: ID!) { archiveEvent(id: $id) { status } }", {"id": created["id"]})
    assert writes.ok(lookup, headers={}) == {"event": None}
    history = writes.ok(
        "query($id: ID!) { revisions(id: $id) { action tokenName before after } }", {"id": created["id"]}
    )
    assert [r["action"] for r in history["revisions"]] == ["archive", "publish", "create"]
    assert {r["tokenName"] for r in history["revisions"]} == {"editor-ed"}
    assert (
        history["revisions"][-1]["before"] is None
        and history["revisions"][-1]["after"]["slug"] == created["slug"]
    )
    assert (
        writes.error("query($id: ID!) { revisions(id: $id) { action } }", {"id": created["id"]}, headers={})[
            "extensions"
        ]["code"]
        == "UNAUTHENTICATED"
    )


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": {"en": "   "}}, "BAD_USER_INPUT", "input.title.en"),
        ({"date": {"year": 2016, "month": 13}}, "BAD_USER_INPUT", "input.date.month"),
        ({"date": {"year": 2015, "month": 2, "day": 29}}, "BAD_USER_INPUT", "input.date.day"),
        ({"date": {"year": 3016}}, "BAD_USER_INPUT", "input.date.year"),
        ({"endDate": {"year": 2010}}, "BAD_USER_INPUT", "input.endDate"),
        ({"slug": "Not A Slug"}, "BAD_USER_INPUT", "input.slug"),
        ({"slug": "1977-first-taiwan-korea-customs-cooperation-conference"}, "CONFLICT", "input.slug"),
        ({"partnerIds": ["UGFydG5lcjo5OTk5"]}, "NOT_FOUND", "input.partnerIds[0]"),
        ({"partnerIds": ["RXZlbnQ6MQ"]}, "BAD_USER_INPUT", "input.partnerIds[0]"),
        ({"title": {"en": "x" * 301}}, "BAD_USER_INPUT", "input.title.en"),
        ({"tags": ["Not A Tag"]}, "BAD_USER_INPUT", "input.tags[0]"),
    ],
)
def test_validation_names_the_field_and_changes_nothing(
    writes: WriteServer, overrides: dict[str, Any], code: str, field: str
) -> None:
    existing = writes.ok("{ events(first: 1) { edges { node { slug } } } }")["events"]["edges"][0]["node"][
        "slug"
    ]
    if overrides.get("slug") == "1977-first-taiwan-korea-customs-cooperation-conference":
        overrides = {"slug": existing} if existing != overrides["slug"] else overrides
    before = writes.state()
    error = writes.error(CREATE, {"input": event_input(**overrides)})
    assert error["extensions"]["code"] == code, error
    assert error["extensions"]["field"] == field
    assert error["message"].startswith(field)
    assert writes.state() == before


def test_wrong_types_and_unknown_enums_are_refused(writes: WriteServer) -> None:
    before = writes.state()
    for variables in (
        {"input": event_input(kind="PARTY")},
        {"input": event_input(date={"year": "soon"})},
        {"input": {"date": {"year": 2016}, "kind": "OTHER"}},
    ):
        error = writes.error(CREATE, variables)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
    response = httpx.get(
        writes.server.graphql_url,
        params={"query": 'mutation { publishEvent(id: "RXZlbnQ6MQ") { id } }'},
        headers=writes.editor | {"accept": "application/json"},
    )
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert writes.state() == before


def test_a_write_failing_halfway_changes_nothing(writes: WriteServer) -> None:
    """The database itself refuses the last step (a tag), after the event row and its links were written."""
    engine = create_sync_engine(writes.url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_tag BEFORE INSERT ON event_tag WHEN new.tag = 'explode' "
                "BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse_tag() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.tag = 'explode' THEN RAISE EXCEPTION 'refused by trigger'; END IF; RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_tag BEFORE INSERT ON event_tag "
                "FOR EACH ROW EXECUTE FUNCTION refuse_tag()"
            )
    engine.dispose()
    partner_id = writes.ok('{ partner(slug: "wto") { id } }')["partner"]["id"]
    before = writes.state()
    error = writes.error(
        CREATE,
        {
            "input": event_input(
                partnerIds=[partner_id], tags=["fine", "explode"], status="PUBLISHED", isMilestone=True
            )
        },
    )
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert writes.state() == before
    # A missing link, found after the row insert, rolls back the same way.
    error = writes.error(CREATE, {"input": event_input(partnerIds=[partner_id, "UGFydG5lcjo5OTk5"])})
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert writes.state() == before


def test_optimistic_concurrency(writes: WriteServer) -> None:
    created = writes.ok(CREATE, {"input": event_input()})["createEvent"]
    first = writes.ok(
        UPDATE, {"id": created["id"], "input": {"tags": ["a"]}, "expected": created["updatedAt"]}
    )["updateEvent"]
    assert first["tags"] == ["a"]
    stale = writes.error(
        UPDATE, {"id": created["id"], "input": {"tags": ["b"]}, "expected": created["updatedAt"]}
    )
    assert stale["extensions"]["code"] == "CONFLICT" and stale["extensions"]["field"] == "expectedUpdatedAt"
    fresh = writes.ok(
        UPDATE, {"id": created["id"], "input": {"title": {"en": "Renamed"}}, "expected": first["updatedAt"]}
    )
    assert fresh["updateEvent"]["title"] == "Renamed" and fresh["updateEvent"]["tags"] == ["a"]
    missing = writes.error(UPDATE, {"id": "RXZlbnQ6OTk5OQ", "input": {"tags": []}})
    assert missing["extensions"]["code"] == "NOT_FOUND"


def test_delete_and_restore_keep_the_id(writes: WriteServer) -> None:
    event = writes.ok('{ event(slug: "2011-single-window-workshops") { id title partners { slug } tags } }')[
        "event"
    ]
    assert event is not None
    writes.ok("mutation($id: ID!) { deleteEvent(id: $id) }", {"id": event["id"]}, writes.admin)
    assert writes.ok("query($id: ID!) { node(id: $id) { id } }", {"id": event["id"]}) == {"node": None}
    (deletion, *_rest) = writes.ok(
        "query($id: ID!) { revisions(id: $id) { id action } }", {"id": event["id"]}
    )["revisions"]
    assert deletion["action"] == "delete"
    restored = writes.ok(
        "mutation($r: ID!) { restore(revisionId: $r) { id ... on Event { title partners { slug } tags } } }",
        {"r": deletion["id"]},
    )["restore"]
    assert restored == event
    assert (
        writes.error('mutation { restore(revisionId: "99999") { id } }')["extensions"]["code"] == "NOT_FOUND"
    )


def test_other_content_types(writes: WriteServer) -> None:
    partner = writes.ok(
        'mutation { createPartner(input: {name: {en: "Customs Administration of Example", zhTw: "範例海關"}, '
        'kind: CUSTOMS_ADMINISTRATION, country: "NZ", status: PUBLISHED}) { id slug country } }'
    )["createPartner"]
    assert partner["slug"] == "customs-administration-of-example"
    agreement = writes.ok(
        'mutation($p: [ID!]) { createAgreement(input: {title: {en: "Example MRA"}, kind: MUTUAL_RECOGNITION, '
        "signedOn: {year: 2020, month: 2}, partyIds: $p, status: PUBLISHED}) "
        "{ id parties { slug } signedOn { label } } }",
        {"p": [partner["id"]]},
    )["createAgreement"]
    assert (
        agreement["parties"] == [{"slug": partner["slug"]}]
        and agreement["signedOn"]["label"] == "February 2020"
    )
    exhibit = writes.ok(
        'mutation($o: ID, $a: [ID!]) { createExhibit(input: {title: {en: "Example uniform"}, kind: UNIFORM, '
        "originId: $o, agreementIds: $a, status: PUBLISHED}) { id origin { slug } agreements { slug } } }",
        {"o": partner["id"], "a": [agreement["id"]]},
    )["createExhibit"]
    assert exhibit["origin"] == {"slug": partner["slug"]}
    cleared = writes.ok(
        "mutation($id: ID!) { updateExhibit(id: $id, input: {originId: null}) { origin { slug } } }",
        {"id": exhibit["id"]},
    )
    assert cleared["updateExhibit"]["origin"] is None
    renamed = writes.ok(
        'mutation($id: ID!) { updatePartner(id: $id, input: {shortName: "CAE"}) { shortName name } }',
        {"id": partner["id"]},
    )
    assert renamed["updatePartner"] == {"shortName": "CAE", "name": "Customs Administration of Example"}
    writes.ok("mutation($id: ID!) { deletePartner(id: $id) }", {"id": partner["id"]}, writes.admin)
    after = writes.ok(
        "query($id: ID!) { node(id: $id) { ... on Agreement { parties { slug } } } }", {"id": agreement["id"]}
    )
    assert after["node"]["parties"] == []


def _revision_count(url: str) -> int:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Revision.__table__)).scalar_one())  # type: ignore[attr-defined]
    finally:
        engine.dispose()


async def test_concurrent_editors_lose_no_write(writes: WriteServer) -> None:
    """20 editors at once: each adds its own tag to one shared event (re-reading on CONFLICT) and
    renames its own event five times."""
    import asyncio

    writes.ok(CREATE, {"input": event_input(slug="shared-event")})
    own = [writes.ok(CREATE, {"input": event_input(slug=f"own-{n}")})["createEvent"]["id"] for n in range(20)]
    tokens = [bearer(create_token(writes.server.env, f"editor-{n}")) for n in range(20)]
    revisions_before = _revision_count(writes.url)
    read = 'query { event(slug: "shared-event") { id tags updatedAt } }'

    url = writes.server.graphql_url

    async def editor(n: int, client: httpx.AsyncClient) -> int:
        conflicts = 0
        while True:
            reply = await client.post(url, json={"query": read}, headers=tokens[n])
            assert reply.status_code == 200, (reply.status_code, reply.text, reply.headers)
            current = reply.json()["data"]["event"]
            body = (
                await client.post(
                    url,
                    json={
                        "query": UPDATE,
                        "variables": {
                            "id": current["id"],
                            "input": {"tags": [*current["tags"], f"by-{n}"]},
                            "expected": current["updatedAt"],
                        },
                    },
                    headers=tokens[n],
                )
            ).json()
            if "errors" not in body:
                break
            assert body["errors"][0]["extensions"]["code"] == "CONFLICT", body
            conflicts += 1
        for round_ in range(5):
            body = (
                await client.post(
                    url,
                    json={
                        "query": UPDATE,
                        "variables": {"id": own[n], "input": {"title": {"en": f"Own {n} round {round_}"}}},
                    },
                    headers=tokens[n],
                )
            ).json()
            assert "errors" not in body, body
        return conflicts

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(editor(n, client) for n in range(20)))
    final = writes.ok(read)["event"]
    assert sorted(final["tags"]) == sorted(f"by-{n}" for n in range(20))
    titles = writes.ok("{ events(filter: {status: DRAFT}, first: 100) { edges { node { slug title } } } }")
    own_titles = {
        e["node"]["slug"]: e["node"]["title"]
        for e in titles["events"]["edges"]
        if e["node"]["slug"].startswith("own-")
    }
    assert own_titles == {f"own-{n}": f"Own {n} round 4" for n in range(20)}
    assert _revision_count(writes.url) == revisions_before + 20 + 100
    engine = create_sync_engine(writes.url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events_table)).scalar_one() == 12 + 21
        assert conn.execute(select(func.count()).select_from(ChangeLog.__table__)).scalar_one() >= 20 + 100  # type: ignore[attr-defined]
    engine.dispose()

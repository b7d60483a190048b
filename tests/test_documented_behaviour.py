"""Where the docs and the code used to disagree, the behaviour both now describe, over live HTTP and
WebSocket.

- Reads are rate limited per client address, whatever Authorization header a client invents.
- One operation too many on a WebSocket is OPERATION_LIMIT_EXCEEDED, named like the other limits.
- An event holds at most MAX_TAGS tags and MAX_PLACES places, from mutations and files alike.
- An update that changes nothing writes nothing: no revision, no change-log row, same updatedAt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from accord.content.fields import Places, Tags
from accord.content.model import EVENT
from accord.db import create_sync_engine
from tests.harness.clients import post
from tests.harness.databases import seed, sqlite_url
from tests.harness.server import LiveServer, accord_env, live_server, run_accord
from tests.harness.tokens import bearer, create_token
from tests.harness.ws import ws_client

DOCS = Path(__file__).resolve().parent.parent / "docs"

MAX_TAGS = next(EVENT.of_kind(Tags)).max_items
MAX_PLACES = next(EVENT.of_kind(Places)).max_items


def doc(name: str) -> str:
    return (DOCS / name).read_text()


# --- rate limits: per address ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("limited"))
    seed(url)
    env = {"ACCORD_RATE_LIMIT": "true", "ACCORD_RATE_READS_PER_SECOND": "0.1", "ACCORD_RATE_READS_BURST": "5"}
    with live_server(url, logs, extra_env=env) as server:
        yield server


def test_reads_are_limited_per_address_whatever_the_authorization_header(limited: LiveServer) -> None:
    statuses = [
        post(limited, "{ __typename }", headers={"Authorization": f"Bearer made-up-{n}"}).status_code
        for n in range(8)
    ]
    # Five from the burst (each refused 401 for its unknown token), then the address is out of tokens:
    # a fresh made-up token bought no fresh bucket.
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3, statuses
    # Feeds ignore the header, and share the address's bucket.
    feed = httpx.get(f"{limited.url}/feeds/milestones.rss", headers={"Authorization": "Bearer another"})
    assert feed.status_code == 429
    security = doc("security.md")
    assert "counted by that header" not in security
    assert "gets its own rate-limit bucket" not in security
    assert re.search(r"Reads[^.]*counted per client address", security), "security.md: who is a client"


# --- WebSocket: one operation too many ------------------------------------------------------------


@pytest.fixture(scope="module")
def two_per_socket(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("two-per-socket"))
    seed(url)
    with live_server(url, logs, extra_env={"ACCORD_WS_MAX_SUBSCRIPTIONS": "2"}) as server:
        yield server


async def test_one_operation_too_many_is_operation_limit_exceeded(two_per_socket: LiveServer) -> None:
    async with ws_client(two_per_socket.ws_url) as client:
        for op_id in ("1", "2", "3"):
            await client.subscribe(op_id, "subscription { milestoneAdded { id } }")
        error = await client.receive()
        assert error["type"] == "error" and error["id"] == "3", error
        (payload,) = error["payload"]
        assert payload["extensions"] == {"code": "OPERATION_LIMIT_EXCEEDED", "limit": 2}
        assert payload["message"] == "at most 2 operations per connection"
        await client.send({"type": "ping"})  # the connection and its two operations go on
        assert await client.receive() == {"type": "pong"}
    # Documented once, in the limits table of security.md, under that code; the other pages refer to it.
    security = doc("security.md")
    row = next(line for line in security.splitlines() if line.startswith("| Operations per WebSocket"))
    assert "`OPERATION_LIMIT_EXCEEDED`" in row
    for name in ("security.md", "live.md", "api.md"):
        assert "TOO_MANY_OPERATIONS" not in doc(name)
    assert "OPERATION_LIMIT_EXCEEDED" in doc("live.md")
    operations_line = next(line for line in security.splitlines() if "operations at once" in line)
    assert "GRAPHQL_VALIDATION_FAILED" not in operations_line


# --- writes: a server, and the four content types ---------------------------------------------------


@dataclass
class Editor:
    server: LiveServer
    url: str
    headers: dict[str, str]

    def ok(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = post(self.server, document, variables, headers=self.headers)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def error(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = post(self.server, document, variables, headers=self.headers).json()
        assert body.get("data") is None, body
        (error,) = body["errors"]
        result: dict[str, Any] = error
        return result

    def written(self) -> dict[str, int]:
        engine = create_sync_engine(self.url)
        try:
            with engine.connect() as conn:
                return {
                    name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                    for name in ("revision", "change_log", "event", "event_tag")
                }
        finally:
            engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def editor(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> Iterator[Editor]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("editor"))
    else:
        pg = request.getfixturevalue("postgres")
        url = pg.url(pg.create_database())
    seed(url)
    with live_server(url, logs) as server:
        yield Editor(server, url, bearer(create_token(server.env, "editor-ed")))


CREATE_EVENT = "mutation($input: EventInput!) { createEvent(input: $input) { id tags places } }"
UPDATE_EVENT = "mutation($id: ID!, $input: EventPatch!) { updateEvent(id: $id, input: $input) { id tags } }"


def event_input(**overrides: Any) -> dict[str, Any]:
    return {"title": {"en": "Tagged forum"}, "date": {"year": 2016}, "kind": "CONFERENCE"} | overrides


def test_an_event_holds_a_bounded_number_of_tags_and_places(editor: Editor, tmp_path: Path) -> None:
    tags = [f"tag-{n}" for n in range(MAX_TAGS + 1)]
    places = [{"en": f"Place {n}"} for n in range(MAX_PLACES + 1)]
    before = editor.written()
    for overrides, field, message in (
        ({"tags": tags}, "input.tags", f"input.tags: at most {MAX_TAGS} tags per event"),
        ({"places": places}, "input.places", f"input.places: at most {MAX_PLACES} places per event"),
    ):
        error = editor.error(CREATE_EVENT, {"input": event_input(**overrides)})
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
        assert error["message"].startswith(message), error
    assert editor.written() == before
    created = editor.ok(
        CREATE_EVENT, {"input": event_input(tags=tags[:MAX_TAGS], places=places[:MAX_PLACES])}
    )
    event = created["createEvent"]
    assert len(event["tags"]) == MAX_TAGS and len(event["places"]) == MAX_PLACES
    error = editor.error(UPDATE_EVENT, {"id": event["id"], "input": {"tags": [*tags[:MAX_TAGS], "one-more"]}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.tags"}
    # Files go through the same record.
    too_many = tmp_path / "tags.yaml"
    too_many.write_text(
        "events:\n  - slug: over-tagged\n    title: {en: Over-tagged}\n    date: {year: 2016}\n"
        f"    tags: [{', '.join(tags)}]\n"
    )
    loaded = run_accord("fixtures", "load", str(too_many), env=accord_env(editor.url))
    assert loaded.returncode == 1
    assert f"events[0] (slug over-tagged): tags: at most {MAX_TAGS} tags per event" in loaded.stderr
    # docs/editing.md states both limits where the other limits of editing are.
    limits = next(line for line in doc("editing.md").split("\n\n") if line.startswith("Other limits:"))
    assert f"{MAX_TAGS} tags" in limits and f"{MAX_PLACES} places" in limits


def _updated_at(editor: Editor, type_name: str, id_: str) -> str:
    data = editor.ok(
        f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ updatedAt }} }} }}", {"id": id_}
    )
    return str(data["node"]["updatedAt"])


def test_an_update_that_changes_nothing_writes_nothing(editor: Editor) -> None:
    found = editor.ok(
        """{ events(filter: {partner: "wto"}, first: 1) { edges { node { id tags kind isMilestone
              date { year month day } partners { id } agreements { id } } } }
            partners(first: 1) { edges { node { id name shortName country website } } }
            agreements(first: 1) { edges { node { id title parties { id } } } }
            exhibits(first: 1) { edges { node { id title origin { id } agreements { id } } } } }"""
    )
    event = found["events"]["edges"][0]["node"]
    partner = found["partners"]["edges"][0]["node"]
    agreement = found["agreements"]["edges"][0]["node"]
    exhibit = found["exhibits"]["edges"][0]["node"]
    same_date = {key: value for key, value in event["date"].items() if value is not None}
    unchanged = [
        ("Event", event["id"], {}),
        (
            "Event",
            event["id"],
            {
                "tags": event["tags"],
                "kind": event["kind"],
                "isMilestone": event["isMilestone"],
                "date": same_date,
                # Link lists are sets: the same partners in another order are the same links.
                "partnerIds": [p["id"] for p in reversed(event["partners"])],
                "agreementIds": [a["id"] for a in event["agreements"]],
            },
        ),
        ("Partner", partner["id"], {}),
        ("Partner", partner["id"], {"shortName": partner["shortName"], "country": partner["country"]}),
        ("Agreement", agreement["id"], {}),
        ("Agreement", agreement["id"], {"partyIds": [p["id"] for p in agreement["parties"]]}),
        ("Exhibit", exhibit["id"], {}),
        (
            "Exhibit",
            exhibit["id"],
            {
                "originId": exhibit["origin"]["id"] if exhibit["origin"] else None,
                "agreementIds": [a["id"] for a in exhibit["agreements"]],
            },
        ),
    ]
    assert len(event["partners"]) >= 2, "the patch should reorder at least two partners"
    before = editor.written()
    for type_name, id_, patch in unchanged:
        stamp = _updated_at(editor, type_name, id_)
        document = (
            f"mutation($id: ID!, $input: {type_name}Patch!) "
            f"{{ update{type_name}(id: $id, input: $input) {{ id updatedAt }} }}"
        )
        answer = editor.ok(document, {"id": id_, "input": patch})[f"update{type_name}"]
        assert answer == {"id": id_, "updatedAt": stamp}, (type_name, patch)
        assert _updated_at(editor, type_name, id_) == stamp
        assert editor.written() == before, (type_name, patch)
    # A real change still writes: one revision, one change-log row, a new updatedAt.
    stamp = _updated_at(editor, "Event", event["id"])
    changed = editor.ok(UPDATE_EVENT, {"id": event["id"], "input": {"tags": [*event["tags"], "one-more"]}})
    assert changed["updateEvent"]["tags"] == [*event["tags"], "one-more"]
    after = editor.written()
    assert after["revision"] == before["revision"] + 1 and after["change_log"] == before["change_log"] + 1
    assert _updated_at(editor, "Event", event["id"]) != stamp
    editing = doc("editing.md")
    assert "An update that changes nothing writes nothing" in editing

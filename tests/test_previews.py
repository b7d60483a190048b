"""Read-only previews: the preview role over HTTP, WebSocket, SSE and feeds (reads what an editor
reads, writes nothing, is never cached or shared), and preview links (one item, until they expire
or the secret is rotated, nothing else)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from graphql import build_schema
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from accord.core.preview import sign
from accord.core.secrets import PREVIEW, stored_secret
from accord.core.tables import changes
from accord.db import create_sync_engine
from tests.harness.databases import seed, sqlite_url
from tests.harness.desk import Desk, soon, taipei
from tests.harness.images import encode, marked
from tests.harness.server import live_server, run_accord
from tests.harness.tokens import bearer, create_token
from tests.harness.uploads import multipart_upload, uploaded
from tests.harness.waiting import wait_until
from tests.harness.ws import PROTOCOL, WSClient

ROOT_SCHEMA = Path(__file__).resolve().parent.parent / "schema.graphql"
DRAFT_QUERY = '{ event(slug: "staging-draft") { slug status scheduledAt partners { slug status } } }'


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[Desk]:
    url = sqlite_url(tmp_path_factory.mktemp("previews"))
    seed(url)
    with live_server(url, logs) as server:
        desk = Desk.open(server, "preview-desk")
        partner = desk.data(
            "mutation { createPartner(input: "
            '{slug: "draft-partner", name: {en: "Draft Partner"}, kind: OTHER}) { id } }',
            role="editor",
        )["createPartner"]["id"]
        draft = desk.create_event("staging-draft", partnerIds=[partner], tags=["staging"])
        desk.schedule(draft, taipei(soon(30 * 86_400)))
        archived = desk.create_event("staging-archived", status="PUBLISHED")
        desk.data("mutation($id: ID!) { archiveEvent(id: $id) { id } }", {"id": archived}, "editor")
        yield desk


def _newest_change(desk: Desk) -> int:
    engine = create_sync_engine(desk.server.env["ACCORD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(changes.c.id), 0))).scalar_one())
    finally:
        engine.dispose()


# -- the preview role over HTTP ---------------------------------------------------------------


def test_a_preview_token_reads_what_an_editor_reads(desk: Desk) -> None:
    queries = [
        DRAFT_QUERY,
        "{ events(filter: {status: ARCHIVED}) { totalCount edges { node { slug scheduledAt } } } }",
        '{ search(query: "staging") { ... on Event { slug status } } }',
        '{ partner(slug: "draft-partner") { status events { edges { node { slug } } } } }',
    ]
    for document in queries:
        as_editor = desk.call(document, role="editor")
        as_preview = desk.call(document, role="preview")
        assert as_preview == as_editor
    draft = desk.data(DRAFT_QUERY, role="preview")["event"]
    assert draft["status"] == "DRAFT" and draft["scheduledAt"] is not None
    assert draft["partners"] == [{"slug": "draft-partner", "status": "DRAFT"}]
    event_id = desk.data('{ event(slug: "staging-draft") { id } }', role="preview")["event"]["id"]
    history = desk.data("query($id: ID!) { revisions(id: $id) { action } }", {"id": event_id}, "preview")
    assert [r["action"] for r in history["revisions"]] == ["schedule", "create"]


def test_a_preview_answer_is_never_cached_nor_shared_with_anonymous_readers(desk: Desk) -> None:
    url = f"{desk.server.graphql_url}?query={DRAFT_QUERY}"
    for _ in range(2):
        answer = httpx.get(url, headers=desk.tokens["preview"], timeout=10)
        assert answer.json()["data"]["event"]["slug"] == "staging-draft"
        assert answer.headers["cache-control"] == "private, no-store"
        anonymous = httpx.get(url, timeout=10)
        assert anonymous.json()["data"]["event"] is None
        assert anonymous.headers["cache-control"].startswith("public")
        assert "Authorization" in anonymous.headers["vary"]


def _mutations() -> dict[str, tuple[str, dict[str, Any]]]:
    """A valid document (and its variables) for every mutation of the schema."""
    event = "RXZlbnQ6MQ"
    ids = {
        "Event": event,
        "Partner": "UGFydG5lcjox",
        "Agreement": "QWdyZWVtZW50OjE",
        "Exhibit": "RXhoaWJpdDox",
    }
    inputs: dict[str, dict[str, Any]] = {
        "Event": {"title": {"en": "No"}, "date": {"year": 2026}, "kind": "OTHER"},
        "Partner": {"name": {"en": "No"}, "kind": "OTHER"},
        "Agreement": {"title": {"en": "No"}, "kind": "OTHER"},
        "Exhibit": {"title": {"en": "No"}, "kind": "OTHER"},
    }
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, node_id in ids.items():
        found[f"create{name}"] = (
            f"mutation($input: {name}Input!) {{ create{name}(input: $input) {{ id }} }}",
            {"input": inputs[name]},
        )
        found[f"update{name}"] = (
            f"mutation($id: ID!) {{ update{name}(id: $id, input: {{}}) {{ id }} }}",
            {"id": node_id},
        )
        for verb in ("publish", "archive"):
            found[f"{verb}{name}"] = (
                f"mutation($id: ID!) {{ {verb}{name}(id: $id) {{ id }} }}",
                {"id": node_id},
            )
        found[f"delete{name}"] = (f"mutation($id: ID!) {{ delete{name}(id: $id) }}", {"id": node_id})
    found["restore"] = ('mutation { restore(revisionId: "1") { id } }', {})
    found["cancelScheduledPublish"] = (
        "mutation($id: ID!) { cancelScheduledPublish(id: $id) { id } }",
        {"id": event},
    )
    found["previewLink"] = ("mutation($id: ID!) { previewLink(id: $id) { url } }", {"id": event})
    # Images (uploadImage also over multipart: test_a_preview_token_cannot_upload) and webhooks.
    image = "SW1hZ2U6MQ"
    found["uploadImage"] = (
        'mutation($file: Upload!) { uploadImage(file: $file, alt: {en: "No"}) { id } }',
        {"file": None},
    )
    found["attachImage"] = (
        "mutation($i: ID!, $e: ID) { attachImage(imageId: $i, eventId: $e) { id } }",
        {"i": image, "e": event},
    )
    found["detachImage"] = (
        "mutation($i: ID!, $e: ID) { detachImage(imageId: $i, eventId: $e) { id } }",
        {"i": image, "e": event},
    )
    found["updateImage"] = ('mutation($i: ID!) { updateImage(id: $i, credit: "No") { id } }', {"i": image})
    found["deleteImage"] = ("mutation($i: ID!) { deleteImage(id: $i) }", {"i": image})
    found["createWebhook"] = (
        "mutation($input: WebhookInput!) { createWebhook(input: $input) { secret } }",
        {"input": {"url": "https://example.org/hook", "events": ["content.published"]}},
    )
    found["updateWebhook"] = (
        'mutation { updateWebhook(id: "1", input: {description: "No"}) { id } }',
        {},
    )
    found["deleteWebhook"] = ('mutation { deleteWebhook(id: "1") }', {})
    found["testWebhook"] = ('mutation { testWebhook(id: "1") { id } }', {})
    found["replayWebhookDelivery"] = ('mutation { replayWebhookDelivery(deliveryId: "1") { id } }', {})
    found["subscribeWebSub"] = (
        "mutation($input: WebSubSubscriptionInput!) { subscribeWebSub(input: $input) { id } }",
        {
            "input": {
                "topic": "https://example.org/feeds/milestones.atom",
                "callback": "https://example.org/cb",
            }
        },
    )
    return found


def test_a_preview_token_is_refused_every_write(desk: Desk) -> None:
    mutations = _mutations()
    schema = build_schema(ROOT_SCHEMA.read_text())
    assert schema.mutation_type is not None
    assert set(mutations) == set(schema.mutation_type.fields), "a mutation is missing from this test"
    before = _newest_change(desk)
    for name, (document, variables) in mutations.items():
        body = desk.call(document, variables, "preview")
        assert body["data"] is None, name
        assert body["errors"] == [
            {
                "message": "the preview role reads only: it may not run mutations",
                "extensions": {"code": "FORBIDDEN"},
            }
        ], name
    # The same documents with an editor's token do write (the test above is not refused for
    # another reason), and nothing was written by the preview token.
    assert _newest_change(desk) == before
    created = desk.call(*mutations["createPartner"], role="editor")
    assert "errors" not in created
    # An admin's webhook document reaches the resolver (which checks the URL: no network here).
    made = desk.call(*mutations["createWebhook"], role="admin")
    assert made["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.url"}, made


def test_a_preview_token_cannot_upload(desk: Desk) -> None:
    """A multipart request with a preview token is refused before its body is read: no image."""
    event_id = desk.create_event("upload-refused")
    refused = multipart_upload(
        desk.server.graphql_url,
        encode(marked((64, 48)), "JPEG"),
        headers=desk.tokens["preview"],
        event_id=event_id,
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    images = '{ event(slug: "upload-refused") { images { id } } }'
    assert desk.data(images, role="preview")["event"]["images"] == []
    # The same upload with an editor's token is taken (the refusal was the role's).
    accepted = multipart_upload(
        desk.server.graphql_url,
        encode(marked((64, 48)), "JPEG"),
        headers=desk.tokens["editor"],
        event_id=event_id,
    )
    assert uploaded(accepted)["id"]
    assert len(desk.data(images, role="preview")["event"]["images"]) == 1


def test_a_preview_token_reads_no_webhook_admin_field(desk: Desk) -> None:
    for document in (
        "{ webhooks { id url } }",
        '{ webhook(id: "1") { id url } }',
        "{ webSubSubscriptions { id callback } }",
    ):
        error = desk.error(document, role="preview")
        assert error["extensions"]["code"] == "FORBIDDEN", (document, error)
        assert "errors" not in desk.call(document, role="admin"), document


# -- over WebSocket ---------------------------------------------------------------------------


@asynccontextmanager
async def socket(
    desk: Desk, payload: Any = None, headers: dict[str, str] | None = None
) -> AsyncIterator[WSClient]:
    async with connect(
        desk.server.ws_url,
        subprotocols=[Subprotocol(PROTOCOL)],
        additional_headers=headers,
        open_timeout=10,
    ) as connection:
        client = WSClient(connection)
        await client.send({"type": "connection_init", "payload": payload or {}})
        yield client


async def _ask(client: WSClient, op_id: str, document: str) -> dict[str, Any]:
    await client.subscribe(op_id, document)
    return await client.next_payload(op_id)


async def test_the_socket_takes_a_token_in_connection_init_or_in_the_handshake(desk: Desk) -> None:
    preview = desk.tokens["preview"]
    async with socket(desk, {"Authorization": preview["Authorization"]}) as client:
        assert (await client.receive())["type"] == "connection_ack"
        assert (await _ask(client, "1", DRAFT_QUERY))["data"]["event"]["status"] == "DRAFT"
        refused = await _ask(client, "2", 'mutation { restore(revisionId: "1") { id } }')
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"] is None
    async with socket(desk, {"headers": {"authorization": preview["Authorization"]}}) as client:
        assert (await client.receive())["type"] == "connection_ack"
        assert (await _ask(client, "1", DRAFT_QUERY))["data"]["event"]["slug"] == "staging-draft"
    async with socket(desk, headers=preview) as client:
        assert (await client.receive())["type"] == "connection_ack"
        assert (await _ask(client, "1", DRAFT_QUERY))["data"]["event"]["slug"] == "staging-draft"
    async with socket(desk) as client:
        assert (await client.receive())["type"] == "connection_ack"
        assert (await _ask(client, "1", DRAFT_QUERY))["data"]["event"] is None
    for payload in (
        {"Authorization": "Bearer acc_nobody"},
        {"Authorization": 42},
        {"Authorization": "Basic x"},
    ):
        async with socket(desk, payload) as client:
            assert await client.closed_with() == 4403


async def test_subscribers_with_a_token_see_what_the_token_sees(desk: Desk) -> None:
    subscription = 'subscription { milestoneAdded(tag: "staging-live") { slug partners { slug } } }'
    partner = desk.data('{ partner(slug: "draft-partner") { id } }', role="editor")["partner"]["id"]
    async with (
        socket(desk, {"Authorization": desk.tokens["preview"]["Authorization"]}) as previewer,
        socket(desk) as anonymous,
        httpx.AsyncClient(timeout=30) as http,
    ):
        for client in (previewer, anonymous):
            assert (await client.receive())["type"] == "connection_ack"
            await client.subscribe("live", subscription)
        stream_url = f"{desk.server.url}/feeds/milestones/stream?tag=staging-live"
        async with (
            http.stream("GET", stream_url, headers=desk.tokens["preview"]) as private_stream,
            http.stream("GET", stream_url) as public_stream,
        ):
            assert private_stream.headers["cache-control"] == "private, no-store"
            assert public_stream.headers["cache-control"] == "no-cache"
            await asyncio.to_thread(wait_until, lambda: desk.subscribers() >= 4, "four subscribers")
            desk.create_event("staging-live", tags=["staging-live"], partnerIds=[partner], status="PUBLISHED")
            seen = (await previewer.next_payload("live"))["data"]["milestoneAdded"]
            assert seen == {"slug": "staging-live", "partners": [{"slug": "draft-partner"}]}
            public = (await anonymous.next_payload("live"))["data"]["milestoneAdded"]
            assert public == {"slug": "staging-live", "partners": []}
            private_event = await _first_event(private_stream)
            public_event = await _first_event(public_stream)
    assert [p["slug"] for p in private_event["data"]["milestoneAdded"]["partners"]] == ["draft-partner"]
    assert public_event["data"]["milestoneAdded"]["partners"] == []
    refused = httpx.get(
        f"{desk.server.url}/feeds/milestones/stream", headers={"Authorization": "Bearer acc_x"}
    )
    assert refused.status_code == 401


async def _first_event(stream: httpx.Response) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                found: dict[str, Any] = json.loads(line[5:])
                return found
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(read(), 20)


# -- feeds ------------------------------------------------------------------------------------


def test_feeds_with_a_token_show_drafts_privately(desk: Desk) -> None:
    url = f"{desk.server.url}/feeds/milestones.json?tag=staging"
    private = httpx.get(url, headers=desk.tokens["preview"], timeout=10)
    assert private.status_code == 200
    assert [item["url"].rsplit("/", 1)[-1] for item in private.json()["items"]] == ["staging-draft"]
    assert private.headers["cache-control"] == "private, no-store"
    assert private.headers["vary"] == "Accept-Language, Authorization"
    public = httpx.get(url, timeout=10)
    assert public.json()["items"] == []
    assert public.headers["cache-control"].startswith("public")
    assert httpx.get(url, headers={"Authorization": "Bearer acc_x"}, timeout=10).status_code == 401


# -- preview links ----------------------------------------------------------------------------

LINK = "mutation($id: ID!, $expires: String) { previewLink(id: $id, expiresIn: $expires) { url expiresAt } }"


def _draft_id(desk: Desk, slug: str = "staging-draft") -> str:
    found: str = desk.data("query($s: String) { event(slug: $s) { id } }", {"s": slug}, "editor")["event"][
        "id"
    ]
    return found


def _link(desk: Desk, slug: str = "staging-draft", expires: str = "2h") -> str:
    made = desk.data(LINK, {"id": _draft_id(desk, slug), "expires": expires}, "editor")["previewLink"]
    expires_at = datetime.fromisoformat(made["expiresAt"])
    assert timedelta(hours=1, minutes=59) < expires_at - datetime.now(UTC) <= timedelta(hours=2)
    url: str = made["url"]
    assert url.startswith(f"{desk.server.url}/events/{slug}?preview=")
    return url


def _open(desk: Desk, url: str, **headers: str) -> httpx.Response:
    parts = urlsplit(url)
    return httpx.get(f"{desk.server.url}{parts.path}?{parts.query}", headers=headers, timeout=10)


def _preview_value(url: str) -> str:
    return parse_qs(urlsplit(url).query)["preview"][0]


def _is_private_page(response: httpx.Response) -> None:
    assert response.headers["x-robots-tag"] == "noindex"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-type"].startswith("text/html")


def test_a_preview_link_shows_the_draft_with_a_banner(desk: Desk) -> None:
    page = _open(desk, _link(desk))
    assert page.status_code == 200
    _is_private_page(page)
    assert '<strong class="preview-banner__badge">Preview</strong>' in page.text
    assert "This event is a draft: only people with this link can see it." in page.text
    assert "It is scheduled to be published at" in page.text
    assert '<h1 id="event-title">Event staging-draft</h1>' in page.text
    assert "<li>Draft Partner</li>" in page.text
    chinese = _open(desk, _link(desk), **{"Accept-Language": "zh-TW"})
    assert (
        '<html lang="zh-Hant"' in chinese.text
        and "預覽" in chinese.text
        and "活動 staging-draft" in chinese.text
    )


def test_a_preview_link_opens_nothing_else(desk: Desk) -> None:
    url = _link(desk)
    value = _preview_value(url)
    other = _open(desk, url.replace("/events/staging-draft?", "/events/staging-archived?"))
    assert other.status_code == 403 and "This preview link is for another page." in other.text
    _is_private_page(other)
    published = _open(desk, url.replace("/events/staging-draft?", "/events/1991-taiwan-joins-apec?"))
    assert published.status_code == 403
    # Not a token: GraphQL refuses it as one, and ignores it as a parameter.
    as_token = httpx.post(
        desk.server.graphql_url, json={"query": DRAFT_QUERY}, headers={"Authorization": f"Bearer {value}"}
    )
    assert as_token.status_code == 401
    as_parameter = httpx.get(desk.server.graphql_url, params={"query": DRAFT_QUERY, "preview": value})
    assert as_parameter.json()["data"]["event"] is None
    feed = httpx.get(f"{desk.server.url}/feeds/milestones.json", params={"tag": "staging", "preview": value})
    assert feed.json()["items"] == []
    write = httpx.post(
        desk.server.graphql_url,
        params={"preview": value},
        json={"query": 'mutation { restore(revisionId: "1") { id } }'},
    )
    assert write.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda value: value[:-1] + ("A" if value[-1] != "A" else "B"),  # the signature
        lambda value: value.replace(".", ".9", 1),  # the expiry, pushed far ahead
        lambda value: "RXZlbnQ6MQ" + value[value.index(".") :],  # another event's id
        lambda value: value.rsplit(".", 1)[0],  # no signature
        lambda value: "",
        lambda value: value * 10,
        lambda value: value + "\u0000",
    ],
    ids=["signature", "expiry", "item", "unsigned", "empty", "overlong", "nul"],
)
def test_a_forged_or_tampered_value_gets_a_403_page(desk: Desk, tamper: Any) -> None:
    url = _link(desk)
    value = _preview_value(url)
    page = httpx.get(f"{desk.server.url}/events/staging-draft", params={"preview": tamper(value)}, timeout=10)
    assert page.status_code == 403
    _is_private_page(page)
    assert "This preview link does not work" in page.text
    assert '<meta name="robots" content="noindex, nofollow" />' in page.text
    assert "staging-draft</h1>" not in page.text


def test_an_expired_link_is_refused(desk: Desk) -> None:
    engine = create_sync_engine(desk.server.env["ACCORD_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            secret = stored_secret(conn, PREVIEW)
    finally:
        engine.dispose()
    from accord.core.ids import from_global_id

    number = from_global_id(_draft_id(desk))[1]
    fresh = sign(secret, "Event", number, datetime.now(UTC) + timedelta(minutes=5))
    assert httpx.get(f"{desk.server.url}/events/staging-draft", params={"preview": fresh}).status_code == 200
    expired = sign(secret, "Event", number, datetime.now(UTC) - timedelta(seconds=1))
    page = httpx.get(f"{desk.server.url}/events/staging-draft", params={"preview": expired})
    assert page.status_code == 403
    assert "This preview link has expired." in page.text and "Preview link expired" in page.text


def test_rotating_the_secret_refuses_every_earlier_link(desk: Desk) -> None:
    before = _link(desk)
    assert _open(desk, before).status_code == 200
    rotated = run_accord("secret", "rotate", "preview", env=desk.server.env)
    assert rotated.returncode == 0, rotated.stderr
    assert "rotated the preview secret" in rotated.stdout
    assert _open(desk, before).status_code == 403
    after = _link(desk)
    assert _open(desk, after).status_code == 200
    unknown = run_accord("secret", "rotate", "nonsense", env=desk.server.env)
    assert unknown.returncode == 2 and "no secret named 'nonsense'" in unknown.stderr


def test_preview_link_errors(desk: Desk) -> None:
    event_id = _draft_id(desk)
    assert desk.error(LINK, {"id": event_id}, "preview")["extensions"]["code"] == "FORBIDDEN"
    assert desk.error(LINK, {"id": event_id})["extensions"]["code"] == "UNAUTHENTICATED"
    partner = desk.data('{ partner(slug: "wto") { id } }')["partner"]["id"]
    wrong_type = desk.error(LINK, {"id": partner}, "editor")
    assert wrong_type["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    assert desk.error(LINK, {"id": "RXZlbnQ6OTk5OTk"}, "editor")["extensions"]["code"] == "NOT_FOUND"
    for expires in ("0m", "31d", "24", "1w", "99999h", "１h"):
        error = desk.error(LINK, {"id": event_id, "expires": expires}, "editor")
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "expiresIn"}, expires


def test_the_command_makes_links_and_every_instance_honours_them(desk: Desk, logs: Path) -> None:
    made = run_accord("preview", "link", "staging-draft", "--expires", "30m", env=desk.server.env)
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip().splitlines()[-1]
    assert "valid until" in made.stderr
    assert _open(desk, url).status_code == 200
    url_by_mutation = _link(desk)
    # Another instance on the same database shares the secret.
    with live_server(desk.server.env["ACCORD_DATABASE_URL"], logs) as other:
        for link in (url, url_by_mutation):
            parts = urlsplit(link)
            assert httpx.get(f"{other.url}{parts.path}?{parts.query}", timeout=10).status_code == 200
    missing = run_accord("preview", "link", "no-such-event", env=desk.server.env)
    assert missing.returncode == 1 and "no event with the slug 'no-such-event'" in missing.stderr
    bad = run_accord("preview", "link", "staging-draft", "--expires", "forever", env=desk.server.env)
    assert bad.returncode == 2 and "--expires:" in bad.stderr


def test_a_configured_secret_is_used_instead(desk: Desk, logs: Path) -> None:
    configured = {"ACCORD_PREVIEW_SECRET": "s" * 40}
    stored_link = _link(desk)
    with live_server(desk.server.env["ACCORD_DATABASE_URL"], logs, extra_env=configured) as other:
        parts = urlsplit(stored_link)
        assert httpx.get(f"{other.url}{parts.path}?{parts.query}", timeout=10).status_code == 403
        env = {**other.env}
        made = run_accord("preview", "link", "staging-draft", env=env)
        link = urlsplit(made.stdout.strip().splitlines()[-1])
        assert httpx.get(f"{other.url}{link.path}?{link.query}", timeout=10).status_code == 200
        assert httpx.get(f"{desk.server.url}{link.path}?{link.query}", timeout=10).status_code == 403
        rotate = run_accord("secret", "rotate", "preview", env=env)
        assert rotate.returncode == 1 and "ACCORD_PREVIEW_SECRET is set" in rotate.stderr
    short = run_accord("schedule", "list", env={**desk.server.env, "ACCORD_PREVIEW_SECRET": "short"})
    assert short.returncode == 2 and "ACCORD_PREVIEW_SECRET" in short.stderr


def test_token_create_takes_the_preview_role(desk: Desk) -> None:
    listed = run_accord("token", "list", env=desk.server.env)
    assert "preview-desk-preview" in listed.stdout and "preview" in listed.stdout
    wrong = run_accord("token", "create", "--name", "x", "--role", "reader", env=desk.server.env)
    assert wrong.returncode == 2 and "--role must be editor, admin or preview, not 'reader'" in wrong.stderr


# -- pictures of drafts -----------------------------------------------------------------------


def test_a_drafts_pictures_show_in_graphql_with_a_preview_token_and_on_its_preview_page(desk: Desk) -> None:
    event_id = desk.create_event("pictured-draft")
    picture = uploaded(
        multipart_upload(
            desk.server.graphql_url,
            encode(marked((800, 600)), "JPEG"),
            headers=desk.tokens["editor"],
            event_id=event_id,
            alt={"en": "The signing table"},
            credit="Press office",
        )
    )
    document = '{ event(slug: "pictured-draft") { status images { id alt url(width: 640) } } }'
    seen = desk.data(document, role="preview")["event"]
    assert seen["status"] == "DRAFT"
    assert [(image["id"], image["alt"]) for image in seen["images"]] == [(picture["id"], "The signing table")]
    assert desk.data(document)["event"] is None
    # The public URL of a draft's picture answers 404 (it is not public yet) ...
    public_path = urlsplit(seen["images"][0]["url"]).path
    assert httpx.get(f"{desk.server.url}{public_path}", timeout=10).status_code == 404
    # ... but a frontend's server holding the preview token gets it, privately.
    with_token = httpx.get(f"{desk.server.url}{public_path}", headers=desk.tokens["preview"], timeout=30)
    assert with_token.status_code == 200 and with_token.headers["content-type"].startswith("image/")
    assert with_token.headers["cache-control"] == "private, no-store"
    for bad in ("Bearer acc_nobody", "Basic eDp5"):
        refused = httpx.get(f"{desk.server.url}{public_path}", headers={"Authorization": bad}, timeout=10)
        assert refused.status_code == 401, bad

    # ... and the preview page loads it with the link's value, privately.
    url = _link(desk, "pictured-draft")
    page = _open(desk, url)
    assert page.status_code == 200
    [src] = re.findall(r'<img class="picture__img" src="([^"]+)"', page.text)
    assert 'alt="The signing table"' in page.text and "Press office" in page.text
    src = src.replace("&amp;", "&")
    assert parse_qs(urlsplit(src).query)["preview"] == [_preview_value(url)]
    shown = httpx.get(f"{desk.server.url}{src}", headers={"Accept": "image/jpeg"}, timeout=30)
    assert shown.status_code == 200, shown.text
    assert shown.headers["content-type"] == "image/jpeg" and shown.content[:3] == b"\xff\xd8\xff"
    assert shown.headers["cache-control"] == "private, no-store"
    # A width between variants redirects, keeping the value and the privacy.
    path = urlsplit(src).path
    odd = httpx.get(f"{desk.server.url}{path[: path.rindex('/')]}/333?{urlsplit(src).query}", timeout=10)
    assert odd.status_code == 301 and odd.headers["cache-control"] == "private, no-store"
    assert _preview_value(url) in odd.headers["location"]

    # The value opens this event's pictures only: not without it, not with another event's link,
    # not tampered with, not expired.
    assert httpx.get(f"{desk.server.url}{path}", timeout=10).status_code == 404
    other = _preview_value(_link(desk))  # staging-draft's link: it shows no such picture
    assert httpx.get(f"{desk.server.url}{path}", params={"preview": other}, timeout=10).status_code == 404
    value = _preview_value(url)
    tampered = value[:-1] + ("A" if value[-1] != "A" else "B")
    assert httpx.get(f"{desk.server.url}{path}", params={"preview": tampered}, timeout=10).status_code == 404
    engine = create_sync_engine(desk.server.env["ACCORD_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            secret = stored_secret(conn, PREVIEW)
    finally:
        engine.dispose()
    from accord.core.ids import from_global_id

    expired = sign(secret, "Event", from_global_id(event_id)[1], datetime.now(UTC) - timedelta(seconds=1))
    assert httpx.get(f"{desk.server.url}{path}", params={"preview": expired}, timeout=10).status_code == 404

    # Once published, the public URL serves it to everybody.
    desk.data("mutation($id: ID!) { publishEvent(id: $id) { id } }", {"id": event_id}, "editor")
    assert httpx.get(f"{desk.server.url}{public_path}", timeout=30).status_code == 200


def test_a_preview_token_is_rate_limited_like_any_reader(tmp_path: Path, logs: Path) -> None:
    url = sqlite_url(tmp_path)
    seed(url)
    env = {
        "ACCORD_RATE_LIMIT": "true",
        "ACCORD_RATE_READS_PER_SECOND": "0.5",
        "ACCORD_RATE_READS_BURST": "10",
    }
    with live_server(url, logs, extra_env=env) as server:
        preview = bearer(create_token(server.env, "limited", "preview"))
        answers = [
            httpx.post(server.graphql_url, json={"query": DRAFT_QUERY}, headers=preview, timeout=10)
            for _ in range(15)
        ]
        assert answers[0].status_code == 200
        limited = [answer for answer in answers if answer.status_code == 429]
        assert limited, "a preview token was not limited"
        assert limited[0].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # Its bucket is the address's: anonymous reads from the same address wait too.
        assert httpx.post(server.graphql_url, json={"query": "{ __typename }"}, timeout=10).status_code == 429

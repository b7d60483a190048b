"""The webhook admin API over GraphQL, against `accord serve` and real receivers on 127.0.0.1
(tests/harness/receivers.py), with tokens made by `accord token create`; and the write paths that
are not mutations of one item: partner renames and bulk loads reach WebSub subscribers."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser
import orjson
import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

from accord.db import create_sync_engine
from accord.push.payload import SELECTIONS, Selection
from tests.harness import images as files
from tests.harness.clients import post
from tests.harness.databases import seed
from tests.harness.desk import soon, taipei
from tests.harness.ports import free_port
from tests.harness.receivers import Receivers, running_receivers
from tests.harness.server import LiveServer, live_server, run_accord
from tests.harness.tokens import bearer, create_token
from tests.harness.uploads import multipart_upload, uploaded
from tests.harness.waiting import wait_until

PUSH_ENV = {
    "ACCORD_WEBHOOK_ALLOW_PRIVATE": "true",
    "ACCORD_WEBHOOK_TIMEOUT_SECONDS": "1",
    "ACCORD_WEBHOOK_CLAIM_SECONDS": "3",
    "ACCORD_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "ACCORD_WEBHOOK_POLL_SECONDS": "0.5",
    # One attempt per delivery: a 500 leaves it FAILED at once, for an admin to replay.
    "ACCORD_WEBHOOK_MAX_ATTEMPTS": "1",
}
CREATE = """mutation($input: WebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url events partner tag description enabled } }
}"""
UPDATE = """mutation($id: ID!, $input: WebhookPatch!) {
  updateWebhook(id: $id, input: $input) { id url events partner tag description enabled }
}"""
DELIVERIES = """query($id: ID!, $status: WebhookDeliveryStatus) {
  webhook(id: $id) {
    deliveries(status: $status) {
      id webhookId eventType changeId status attempts nextAttemptAt lastStatusCode lastError deliveredAt
    }
  }
}"""
REPLAY = "mutation($id: ID!) { replayWebhookDelivery(deliveryId: $id) { id webhookId status attempts } }"
SUBSCRIBE = """mutation($input: WebSubSubscriptionInput!) {
  subscribeWebSub(input: $input) { id topic callback state leaseExpiresAt signed }
}"""
CREATE_EVENT = "mutation($input: EventInput!) { createEvent(input: $input) { id } }"
TOO_LONG_SECRET = "whsec_" + base64.b64encode(b"k" * 100).decode()


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    with running_receivers() as running:
        yield running


@dataclass
class Api:
    url: str  # the database
    server: LiveServer
    env: dict[str, str]
    public_url: str
    admin: dict[str, str]
    editor: dict[str, str]

    def answer(self, document: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        response = post(self.server, document, variables, headers=kwargs.get("headers", self.admin))
        body = response.json()
        assert response.status_code in (200, 400), body
        return body

    def ok(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.answer(document, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def refused(
        self, document: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        body = self.answer(document, variables, **kwargs)
        (error,) = body["errors"]
        assert "Traceback" not in error["message"]
        extensions: dict[str, Any] = error["extensions"]
        return {"message": error["message"], **extensions}

    def deliveries_to(self, callback: str) -> int:
        """Deliveries in the outbox for a WebSub callback: written by the write's own transaction,
        so they are there when the mutation (or the import) has answered."""
        engine = create_sync_engine(self.url)
        try:
            with engine.connect() as conn:
                found = conn.execute(
                    text(
                        "SELECT count(*) FROM push_delivery d JOIN websub_subscription s "
                        "ON s.id = d.subscription_id WHERE s.callback = :c"
                    ),
                    {"c": callback},
                )
                return int(found.scalar_one())
        finally:
            engine.dispose()

    def webhook_events(self, url: str) -> list[str]:
        """The event types in the outbox for a webhook endpoint, in order."""
        engine = create_sync_engine(self.url)
        try:
            with engine.connect() as conn:
                found = conn.execute(
                    text(
                        "SELECT d.event_type FROM push_delivery d JOIN webhook_endpoint e "
                        "ON e.id = d.endpoint_id WHERE e.url = :u ORDER BY d.id"
                    ),
                    {"u": url},
                )
                return [str(row[0]) for row in found]
        finally:
            engine.dispose()

    def milestone(self, title: str, tag: str, partner_ids: list[str] | None = None) -> str:
        created = self.ok(
            CREATE_EVENT,
            {
                "input": {
                    "title": {"en": title},
                    "date": {"year": 2017, "month": 3},
                    "kind": "CONFERENCE",
                    "isMilestone": True,
                    "tags": [tag],
                    "partnerIds": partner_ids or [],
                    "status": "PUBLISHED",
                }
            },
        )
        return str(created["createEvent"]["id"])


def _api(stack: ExitStack, url: str, logs: Path, env: dict[str, str]) -> Api:
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    server = stack.enter_context(
        live_server(url, logs, extra_env={**env, "ACCORD_PUBLIC_URL": public_url}, port=port)
    )
    admin = bearer(create_token(server.env, "ada", "admin"))
    editor = bearer(create_token(server.env, "ed", "editor"))
    return Api(url, server, server.env, public_url, admin, editor)


@pytest.fixture
def api(tmp_path: Path, logs: Path) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path}/accord.db"
    seed(url)
    with ExitStack() as stack:
        yield _api(stack, url, logs, PUSH_ENV)


def test_admins_only(api: Api) -> None:
    # The preview role (build servers, staging sites) reads what editors read, and no more of push.
    preview = bearer(create_token(api.env, "pv", "preview"))
    create = {"input": {"url": "http://127.0.0.1:9/x", "events": ["content.updated"]}}
    for document in (
        "{ webhooks { id } }",
        '{ webhook(id: "1") { id } }',
        "{ webSubSubscriptions { id } }",
    ):
        assert api.refused(document, headers={})["code"] == "UNAUTHENTICATED"
        for role in (api.editor, preview):
            refused = api.refused(document, headers=role)
            assert refused["code"] == "FORBIDDEN" and "may not manage webhooks" in refused["message"]
    for role in (api.editor, preview):
        refused = api.refused(CREATE, create, headers=role)
        assert refused["code"] == "FORBIDDEN", refused
    assert "may not manage webhooks" in api.refused(CREATE, create, headers=api.editor)["message"]
    for mutation in (
        'mutation { updateWebhook(id: "1", input: {enabled: true}) { id } }',
        'mutation { deleteWebhook(id: "1") }',
        'mutation { testWebhook(id: "1") { id } }',
        'mutation { replayWebhookDelivery(deliveryId: "x") { id } }',
        'mutation { subscribeWebSub(input: {topic: "x", callback: "y"}) { id } }',
    ):
        assert api.refused(mutation, headers=api.editor)["code"] == "FORBIDDEN"
        assert api.refused(mutation, headers=preview)["code"] == "FORBIDDEN"
        assert api.refused(mutation, headers={})["code"] == "UNAUTHENTICATED"
    assert api.ok("{ webhooks { id } webSubSubscriptions { id } }") == {
        "webhooks": [],
        "webSubSubscriptions": [],
    }


def test_bad_registrations_are_refused(api: Api, receivers: Receivers, tmp_path: Path, logs: Path) -> None:
    good = receivers.url("/ok/refusals")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"url": good, "events": ["milestone.published", "nope"]}, "input.events[1]", "unknown event 'nope'"),
        ({"url": good, "events": []}, "input.events", "at least one event"),
        ({"url": good, "events": ["content.updated"], "secret": TOO_LONG_SECRET}, "input.secret", "longer"),
        (
            {"url": good, "events": ["content.updated"], "secret": "whsec_c2hvcnQ="},
            "input.secret",
            "24 to 64",
        ),
        ({"url": "http://169.254.169.254/x", "events": ["content.updated"]}, "input.url", "metadata"),
        ({"url": "ftp://example.org/", "events": ["content.updated"]}, "input.url", "http"),
        ({"url": good + "\x0b", "events": ["content.updated"]}, "input.url", "control characters"),
        ({"url": "https://" + "a" * 3000, "events": ["content.updated"]}, "input.url", "longer than 2048"),
        ({"url": good, "events": ["content.updated"], "partner": "Not A Slug"}, "input.partner", "lowercase"),
        ({"url": good, "events": ["content.updated"], "description": "x" * 301}, "input.description", "300"),
    ]
    for given, field, message in cases:
        refused = api.refused(CREATE, {"input": given})
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", field), (given, refused)
        assert message in refused["message"], refused
    assert api.ok("{ webhooks { id } }") == {"webhooks": []}  # a refused call wrote nothing

    # Production with the default address rule: plain http, and private addresses, are refused.
    url = f"sqlite:///{tmp_path}/production.db"
    seed(url)
    with ExitStack() as stack:
        production = _api(stack, url, logs, {"ACCORD_ENV": "production"})
        http = production.refused(
            CREATE, {"input": {"url": "http://93.184.215.14/h", "events": ["content.updated"]}}
        )
        assert (http["code"], http["field"]) == ("BAD_USER_INPUT", "input.url")
        assert "must use https://" in http["message"]
        private = production.refused(
            CREATE, {"input": {"url": "https://10.1.2.3/h", "events": ["content.updated"]}}
        )
        assert private["field"] == "input.url" and "10.1.2.3, a private address" in private["message"]
        loopback = production.refused(
            CREATE, {"input": {"url": good.replace("http:", "https:"), "events": ["content.updated"]}}
        )
        assert "a loopback address" in loopback["message"]

    # Ids and patches.
    assert api.refused(UPDATE, {"id": "１", "input": {}})["field"] == "id"
    assert api.refused(UPDATE, {"id": "99999", "input": {"enabled": True}})["code"] == "NOT_FOUND"
    assert api.ok('{ webhook(id: "99999") { id } }') == {"webhook": None}
    assert api.refused(REPLAY, {"id": "0"})["field"] == "deliveryId"
    assert api.refused(REPLAY, {"id": "424242"})["code"] == "NOT_FOUND"
    made = api.ok(CREATE, {"input": {"url": good, "events": ["content.updated"]}})["createWebhook"]
    refused = api.refused(UPDATE, {"id": made["webhook"]["id"], "input": {"url": None}})
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "input.url")
    refused = api.refused(UPDATE, {"id": made["webhook"]["id"], "input": {"events": ["x"]}})
    assert refused["field"] == "input.events[0]"
    refused = api.refused(
        "query($id: ID!) { webhook(id: $id) { deliveries(first: 201) { id } } }",
        {"id": made["webhook"]["id"]},
    )
    assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "first")

    # WebSub: a topic that is not one of this server's feeds; a callback that fails verification.
    topic = f"{api.public_url}/feeds/milestones.atom"
    bad_topic = api.refused(SUBSCRIBE, {"input": {"topic": "https://example.org/feed", "callback": good}})
    assert (bad_topic["code"], bad_topic["field"]) == ("BAD_USER_INPUT", "input.topic")
    bad_secret = api.refused(SUBSCRIBE, {"input": {"topic": topic, "callback": good, "secret": "s" * 200}})
    assert bad_secret["field"] == "input.secret" and "200 bytes" in bad_secret["message"]
    metadata = api.refused(SUBSCRIBE, {"input": {"topic": topic, "callback": "http://169.254.169.254/"}})
    assert metadata["field"] == "input.callback" and "metadata" in metadata["message"]
    refusing = receivers.url("/websub/graphql/refuse")
    failed = api.refused(SUBSCRIBE, {"input": {"topic": topic, "callback": refusing}})
    assert (failed["code"], failed["field"]) == ("BAD_USER_INPUT", "input.callback")
    assert failed["message"].startswith("input.callback: verification of intent failed: HTTP 404")
    (check,) = receivers.requests("/websub/graphql/refuse", "GET")  # asked, as the spec says
    assert check.query["hub.mode"] == ["subscribe"] and check.query["hub.challenge"][0]
    listed = api.ok("{ webSubSubscriptions { callback state stateReason } }")["webSubSubscriptions"]
    assert listed == [
        {
            "callback": refusing,
            "state": "failed",
            "stateReason": failed["message"].removeprefix("input.callback: "),
        }
    ]


def _count_is(receivers: Receivers, path: str, count: int) -> Callable[[], bool]:
    return lambda: len(receivers.requests(path)) == count


def _deliveries(api: Api, hook_id: str, status: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.ok(DELIVERIES, {"id": hook_id, "status": status})["webhook"][
        "deliveries"
    ]
    return found


def test_deliveries_seen_and_replayed(api: Api, receivers: Receivers) -> None:
    tag = f"t{os.urandom(4).hex()}"
    path = f"/flaky/{tag}"  # 500, 500, then 200 for each webhook-id
    created = api.ok(
        CREATE,
        {
            "input": {
                "url": receivers.url(path),
                "events": ["milestone.published"],
                "tag": tag,
                "description": "the build server",
            }
        },
    )["createWebhook"]
    secret, hook = created["secret"], created["webhook"]
    assert secret.startswith("whsec_")
    assert hook == {
        "id": hook["id"],
        "url": receivers.url(path),
        "events": ["milestone.published"],
        "partner": None,
        "tag": tag,
        "description": "the build server",
        "enabled": True,
    }
    listed = api.ok("{ webhooks { id url enabled consecutiveFailures disabledReason } }")["webhooks"]
    assert listed == [
        {
            "id": hook["id"],
            "url": receivers.url(path),
            "enabled": True,
            "consecutiveFailures": 0,
            "disabledReason": None,
        }
    ]
    assert "secret" not in str(api.answer('{ __type(name: "Webhook") { fields { name } } }'))

    event_id = api.milestone(f"Replayed {tag}", tag)
    receivers.wait_for(lambda: len(receivers.requests(path)) == 1, what="the first attempt")
    (failed,) = wait_until(lambda: _deliveries(api, hook["id"], "FAILED"), "the delivery to fail", timeout=30)
    assert failed["eventType"] == "milestone.published" and failed["attempts"] == 1
    assert failed["lastStatusCode"] == 500 and failed["lastError"] == "HTTP 500: try again"
    assert failed["nextAttemptAt"] is None and failed["deliveredAt"] is None
    assert _deliveries(api, hook["id"], "DELIVERED") == []

    for attempt in (2, 3):  # the receiver answers 500 once more, then 200
        replayed = api.ok(REPLAY, {"id": failed["id"]})["replayWebhookDelivery"]
        assert replayed == {
            "id": failed["id"],
            "webhookId": failed["webhookId"],
            "status": "PENDING",
            "attempts": 0,
        }
        receivers.wait_for(_count_is(receivers, path, attempt), what=f"attempt {attempt}")
        wait_until(
            lambda: _deliveries(api, hook["id"])[0]["status"] != "PENDING",
            f"attempt {attempt} recorded",
            timeout=30,
        )
    (delivered,) = _deliveries(api, hook["id"])
    assert delivered["status"] == "DELIVERED" and delivered["lastStatusCode"] == 200
    assert delivered["deliveredAt"] is not None and delivered["changeId"] == failed["changeId"]
    sent = receivers.requests(path)
    assert {r.webhook_id for r in sent} == {failed["webhookId"]}  # the same id on every attempt
    assert len({r.body for r in sent}) == 1  # and the same body
    body = Webhook(secret).verify(sent[-1].body, sent[-1].headers)
    assert body["id"] == event_id and body["changeId"] == failed["changeId"]
    refused = api.refused(REPLAY, {"id": failed["id"]})
    assert refused["code"] == "BAD_USER_INPUT" and "only failed or cancelled" in refused["message"]

    # A test event, sent whatever the endpoint asked for.
    test = api.ok(f'mutation {{ testWebhook(id: "{hook["id"]}") {{ eventType status }} }}')["testWebhook"]
    assert test == {"eventType": "webhook.test", "status": "PENDING"}
    receivers.wait_for(lambda: len(receivers.requests(path)) == 4, what="the test event")
    assert (
        Webhook(secret).verify(receivers.requests(path)[-1].body, receivers.requests(path)[-1].headers)[
            "type"
        ]
        == "webhook.test"
    )

    test_delivery = wait_until(
        lambda: _deliveries(api, hook["id"], "FAILED"), "the test event to fail", timeout=30
    )[0]
    assert test_delivery["eventType"] == "webhook.test"  # a new webhook-id: the receiver's first 500

    # Changes; null clears a filter, a field left out stays.
    patched = api.ok(
        UPDATE,
        {
            "id": hook["id"],
            "input": {"tag": None, "events": ["content.updated", "content.deleted"], "enabled": False},
        },
    )["updateWebhook"]
    assert patched == {
        **hook,
        "tag": None,
        "events": ["content.updated", "content.deleted"],
        "enabled": False,
    }
    # A failed delivery is not replayed to a disabled endpoint.
    refused = api.refused(REPLAY, {"id": test_delivery["id"]})
    assert refused["field"] == "deliveryId" and "enable it first" in refused["message"]
    assert api.ok(f'mutation {{ deleteWebhook(id: "{hook["id"]}") }}') == {"deleteWebhook": hook["id"]}
    assert api.ok("{ webhooks { id } }") == {"webhooks": []}
    assert api.ok(f'{{ webhook(id: "{hook["id"]}") {{ id }} }}') == {"webhook": None}
    assert api.refused(REPLAY, {"id": failed["id"]})["code"] == "NOT_FOUND"  # its history went with it


def test_websub_subscription_made_by_an_admin(api: Api, receivers: Receivers) -> None:
    tag = f"t{os.urandom(4).hex()}"
    topic = f"{api.public_url}/feeds/milestones.atom?tag={tag}"
    callback = receivers.url(f"/websub/{tag}/admin")
    made = api.ok(
        SUBSCRIBE, {"input": {"topic": topic, "callback": callback, "leaseSeconds": 3600, "secret": "s3cret"}}
    )
    subscription = made["subscribeWebSub"]
    assert (subscription["topic"], subscription["callback"]) == (topic, callback)
    assert subscription["state"] == "active" and subscription["signed"] is True
    (check,) = receivers.requests(f"/websub/{tag}/admin", "GET")  # verified before the answer
    assert check.query["hub.lease_seconds"] == ["3600"]
    api.milestone(f"WebSub admin {tag}", tag)
    receivers.wait_for(lambda: len(receivers.requests(f"/websub/{tag}/admin", "POST")) == 1)
    distributed = feedparser.parse(receivers.requests(f"/websub/{tag}/admin", "POST")[0].body)
    assert [entry.title for entry in distributed.entries] == [f"March 2017: WebSub admin {tag}"]


def _partner_names(body: bytes) -> list[str]:
    return [tag.label for entry in feedparser.parse(body).entries for tag in entry.tags if tag.label]


def test_a_partner_rename_reaches_the_feeds_that_show_it(api: Api, receivers: Receivers) -> None:
    tag, other = f"t{os.urandom(4).hex()}", f"o{os.urandom(4).hex()}"
    partner = api.ok(
        """mutation {
          createPartner(input: {name: {en: "Pushed Partner"}, kind: FORUM, status: PUBLISHED}) { id slug }
        }"""
    )["createPartner"]
    api.milestone(f"With the partner {tag}", tag, [partner["id"]])
    api.milestone(f"Without it {other}", other)
    shows = receivers.url(f"/websub/{tag}/shows")
    own = receivers.url(f"/websub/{tag}/own")
    elsewhere = receivers.url(f"/websub/{tag}/elsewhere")
    for topic, callback in (
        (f"{api.public_url}/feeds/milestones.atom?tag={tag}", shows),
        (f"{api.public_url}/feeds/partners/{partner['slug']}.atom", own),
        (f"{api.public_url}/feeds/milestones.atom?tag={other}", elsewhere),
    ):
        made = api.ok(SUBSCRIBE, {"input": {"topic": topic, "callback": callback}})
        assert made["subscribeWebSub"]["state"] == "active"

    renamed = 'mutation($id: ID!) { updatePartner(id: $id, input: {name: {en: "Renamed Partner"}}) { id } }'
    api.ok(renamed, {"id": partner["id"]})
    # Owed by the rename's own transaction: the feed showing its event and its own feed, not the other.
    assert (api.deliveries_to(shows), api.deliveries_to(own), api.deliveries_to(elsewhere)) == (1, 1, 0)
    receivers.wait_for(lambda: len(receivers.requests(f"/websub/{tag}/shows", "POST")) == 1, what="the feed")
    receivers.wait_for(
        lambda: len(receivers.requests(f"/websub/{tag}/own", "POST")) == 1, what="its own feed"
    )
    assert _partner_names(receivers.requests(f"/websub/{tag}/shows", "POST")[0].body) == ["Renamed Partner"]
    own_feed = feedparser.parse(receivers.requests(f"/websub/{tag}/own", "POST")[0].body)
    assert "Renamed Partner" in own_feed.feed.title
    # A draft partner is in no feed: its writes owe nothing.
    draft = api.ok('mutation { createPartner(input: {name: {en: "Draft Partner"}, kind: FORUM}) { id } }')
    api.ok(renamed.replace("Renamed Partner", "Draft, renamed"), {"id": draft["createPartner"]["id"]})
    assert (api.deliveries_to(shows), api.deliveries_to(own), api.deliveries_to(elsewhere)) == (1, 1, 0)


def test_a_bulk_load_reaches_websub_subscribers_and_raises_no_webhooks(
    api: Api, receivers: Receivers, tmp_path: Path
) -> None:
    tag = f"t{os.urandom(4).hex()}"
    hook_path = f"/ok/{tag}"
    api.ok(
        CREATE,
        {"input": {"url": receivers.url(hook_path), "events": ["milestone.published", "content.published"]}},
    )
    callback = receivers.url(f"/websub/{tag}/load")
    topic = f"{api.public_url}/feeds/milestones.json?tag={tag}"
    api.ok(SUBSCRIBE, {"input": {"topic": topic, "callback": callback}})
    document = tmp_path / "more.yaml"
    document.write_text(
        "version: 1\n"
        "events:\n"
        f"  - slug: imported-{tag}\n"
        f"    title: {{en: Imported {tag}}}\n"
        "    date: {year: 2018}\n"
        "    kind: CONFERENCE\n"
        "    milestone: true\n"
        f"    tags: [{tag}]\n"
        "    status: PUBLISHED\n"
    )
    loaded = run_accord("import", str(document), env=api.env)
    assert loaded.returncode == 0, loaded.stderr
    # The load's transaction owed one distribution, and no webhook event.
    assert api.deliveries_to(callback) == 1 and api.webhook_events(receivers.url(hook_path)) == []
    receivers.wait_for(
        lambda: len(receivers.requests(f"/websub/{tag}/load", "POST")) == 1, what="the distribution"
    )
    feed = receivers.requests(f"/websub/{tag}/load", "POST")[0]
    assert feed.headers["content-type"].startswith("application/feed+json")
    assert [item["title"] for item in orjson.loads(feed.body)["items"]] == [f"2018: Imported {tag}"]
    # Loading the same file again changes nothing, and owes nothing.
    assert run_accord("import", str(document), env=api.env).returncode == 0
    assert api.deliveries_to(callback) == 1
    api.milestone(f"After the load {tag}", tag)  # a mutation: announced to both
    assert api.webhook_events(receivers.url(hook_path)) == ["milestone.published", "content.published"]
    assert api.deliveries_to(callback) == 2
    receivers.wait_for(lambda: len(receivers.requests(hook_path)) == 2, what="the mutation's webhooks")
    receivers.wait_for(lambda: len(receivers.requests(f"/websub/{tag}/load", "POST")) == 2)


def _printed(selection: Selection) -> str:
    return " ".join(
        name if inner is None else f"{name} {{ {_printed(inner)} }}" for name, inner in selection.items()
    )


def test_data_of_partners_agreements_and_exhibits_is_what_graphql_answers(
    api: Api, receivers: Receivers
) -> None:
    """Each content type's webhook `data` holds, in both languages, what an anonymous GraphQL query
    of the same fields answers (the selection comes from the declaration: no list to keep)."""
    tag = f"t{os.urandom(4).hex()}"
    path = f"/ok/{tag}"
    made = api.ok(CREATE, {"input": {"url": receivers.url(path), "events": ["content.published"]}})
    secret = made["createWebhook"]["secret"]
    partner = api.ok(
        """mutation { createPartner(input: {name: {en: "Data Partner", zhTw: "資料夥伴"}, shortName: "DP",
          kind: FORUM, country: "TW", website: "https://example.org/dp", status: PUBLISHED}) { id } }"""
    )["createPartner"]["id"]
    agreement = api.ok(
        """mutation($p: ID!) { createAgreement(input: {title: {en: "Data Agreement", zhTw: "資料協定"},
          summary: {en: "Signed."}, kind: MUTUAL_ASSISTANCE, signedOn: {year: 2019, month: 7},
          partyIds: [$p], status: PUBLISHED}) { id } }""",
        {"p": partner},
    )["createAgreement"]["id"]
    exhibit = api.ok(
        """mutation($p: ID!, $a: ID!) { createExhibit(input: {title: {en: "Data Exhibit"},
          description: {en: "A cap.", zhTw: "帽子。"}, kind: UNIFORM, imageUrl: "/static/cap.jpg",
          originId: $p, agreementIds: [$a], status: PUBLISHED}) { id } }""",
        {"p": partner, "a": agreement},
    )["createExhibit"]["id"]
    receivers.wait_for(lambda: len(receivers.requests(path)) == 3, what="three content.published calls")
    bodies = {
        body["contentType"]: body
        for body in (Webhook(secret).verify(r.body, r.headers) for r in receivers.requests(path))
    }
    for type_name, global_id in (("Partner", partner), ("Agreement", agreement), ("Exhibit", exhibit)):
        body = bodies[type_name]
        assert body["id"] == global_id and body["type"] == "content.published"
        wanted = {name: inner for name, inner in SELECTIONS[type_name].items() if name != "publishedAt"}
        document = f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {_printed(wanted)} }} }} }}"
        for language in ("en", "zh-TW"):
            answer = post(api.server, document, {"id": global_id}, headers={"Accept-Language": language})
            expected = answer.json()["data"]["node"]
            data = body["data"][language]
            assert data["publishedAt"] is not None
            assert {name: value for name, value in data.items() if name != "publishedAt"} == expected
    # What it looks like: linked content as the milestone payload shows it.
    assert bodies["Exhibit"]["data"]["zh-TW"]["origin"] == {
        "id": partner,
        "slug": "data-partner",
        "name": "資料夥伴",
        "shortName": "DP",
    }
    assert bodies["Agreement"]["data"]["en"]["signedOn"] == {"iso": "2019-07", "label": "July 2019"}


def test_an_image_edit_raises_content_updated_of_what_shows_it(api: Api, receivers: Receivers) -> None:
    """Uploading a picture onto a published exhibit, and deleting it, each raise content.updated of the
    exhibit (signed, with the exhibit's data, no images in it); the image's own change raises nothing."""
    tag = f"t{os.urandom(4).hex()}"
    path = f"/images/{tag}"
    made = api.ok(CREATE, {"input": {"url": receivers.url(path), "events": ["content.updated"]}})
    secret = made["createWebhook"]["secret"]
    exhibit = api.ok('{ exhibit(slug: "foreign-customs-exchange-uniforms") { id } }')["exhibit"]["id"]
    picture = files.encode(files.marked((400, 300)), "JPEG")
    image = uploaded(
        multipart_upload(api.server.graphql_url, picture, headers=api.editor, exhibit_id=exhibit)
    )
    receivers.wait_for(lambda: len(receivers.requests(path)) == 1, what="content.updated of the exhibit")
    # New alt text: the exhibit shows it, so the exhibit is updated; the same text again is no change.
    describe = "mutation($id: ID!, $alt: LocalizedTextInput) { updateImage(id: $id, alt: $alt) { id } }"
    api.ok(describe, {"id": image["id"], "alt": {"en": "The cap, from the front", "zhTw": "帽子正面"}})
    receivers.wait_for(lambda: len(receivers.requests(path)) == 2, what="content.updated after new alt text")
    api.ok(describe, {"id": image["id"], "alt": {"en": "The cap, from the front", "zhTw": "帽子正面"}})
    assert api.webhook_events(receivers.url(path)) == ["content.updated"] * 2
    api.ok("mutation($id: ID!) { deleteImage(id: $id) }", {"id": image["id"]})
    receivers.wait_for(lambda: len(receivers.requests(path)) == 3, what="content.updated after the deletion")
    bodies = [Webhook(secret).verify(r.body, r.headers) for r in receivers.requests(path)]
    assert [(b["type"], b["contentType"], b["id"]) for b in bodies] == [
        ("content.updated", "Exhibit", exhibit)
    ] * 3
    assert all("images" not in b["data"]["en"] and b["data"]["en"]["slug"] for b in bodies)
    assert bodies[0]["changeId"] < bodies[1]["changeId"] < bodies[2]["changeId"]
    assert api.webhook_events(receivers.url(path)) == ["content.updated"] * 3


PUBLISH_AT = "mutation($id: ID!, $at: DateTime) { publishEvent(id: $id, at: $at) { status scheduledAt } }"


def test_a_scheduled_publish_raises_the_events_of_a_publish_by_hand(api: Api, receivers: Receivers) -> None:
    """publishEvent(at:) publishes through the scheduler: when its time comes, receivers get the
    same events, with bodies of the same shape, as for a publish by hand; scheduling raises none."""
    tag = f"t{os.urandom(4).hex()}"
    path = f"/ok/{tag}"
    url = receivers.url(path)
    events = ["milestone.published", "content.published", "content.updated"]
    made = api.ok(CREATE, {"input": {"url": url, "events": events, "tag": tag}})
    secret = made["createWebhook"]["secret"]

    def draft(title: str) -> str:
        created = api.ok(
            CREATE_EVENT,
            {
                "input": {
                    "title": {"en": title, "zhTw": f"{title}（中文）"},
                    "date": {"year": 2019, "month": 9},
                    "kind": "CONFERENCE",
                    "isMilestone": True,
                    "tags": [tag],
                }
            },
        )
        return str(created["createEvent"]["id"])

    by_hand, scheduled = draft(f"By hand {tag}"), draft(f"Scheduled {tag}")
    assert api.webhook_events(url) == []  # drafts raise nothing
    assert api.ok(PUBLISH_AT, {"id": by_hand, "at": None})["publishEvent"]["status"] == "PUBLISHED"
    receivers.wait_for(_count_is(receivers, path, 2), what="the publish by hand")

    # Scheduled (an hour ahead, then moved to a few seconds ahead): still a draft, nothing raised.
    for ahead in (3600, 3):
        at = soon(ahead)
        answer = api.ok(PUBLISH_AT, {"id": scheduled, "at": at.isoformat()})["publishEvent"]
        assert answer["status"] == "DRAFT" and datetime.fromisoformat(answer["scheduledAt"]) == at
        assert api.webhook_events(url) == ["milestone.published", "content.published"]
    receivers.wait_for(_count_is(receivers, path, 4), timeout=60, what="the scheduled publish")

    # Calls may arrive out of order (docs/webhooks.md), so each item's are compared by type.
    bodies = [Webhook(secret).verify(r.body, r.headers) for r in receivers.requests(path)]
    hand = sorted((b for b in bodies if b["id"] == by_hand), key=lambda b: str(b["type"]), reverse=True)
    timed = sorted((b for b in bodies if b["id"] == scheduled), key=lambda b: str(b["type"]), reverse=True)
    assert (
        [b["type"] for b in timed]
        == [b["type"] for b in hand]
        == ["milestone.published", "content.published"]
    )
    for mine, theirs in zip(timed, hand, strict=True):
        assert mine.keys() == theirs.keys() and mine["data"].keys() == theirs["data"].keys()
        assert mine["data"]["en"].keys() == theirs["data"]["en"].keys()
        assert mine["changeId"] > theirs["changeId"] and mine["slug"] == f"scheduled-{tag}"
        assert mine["data"]["zh-TW"]["title"] == f"Scheduled {tag}（中文）"
        assert datetime.fromisoformat(mine["data"]["en"]["publishedAt"]) == at  # the scheduled time
    assert api.webhook_events(url) == ["milestone.published", "content.published"] * 2  # nothing more


def test_a_drafts_pictures_raise_nothing_until_the_scheduler_publishes_it(
    api: Api, receivers: Receivers
) -> None:
    """Pictures uploaded onto a draft are not announced (the draft is not public); the scheduled
    publish raises content.published once, its data without images, like every other."""
    tag = f"t{os.urandom(4).hex()}"
    path = f"/draft-images/{tag}"
    made = api.ok(
        CREATE, {"input": {"url": receivers.url(path), "events": ["content.published", "content.updated"]}}
    )
    secret = made["createWebhook"]["secret"]
    created = api.ok('mutation { createExhibit(input: {title: {en: "Pictured later"}, kind: OTHER}) { id } }')
    exhibit = created["createExhibit"]["id"]
    for width in (400, 410):
        picture = files.encode(files.marked((width, 300)), "PNG")
        uploaded(multipart_upload(api.server.graphql_url, picture, headers=api.editor, exhibit_id=exhibit))
    assert api.webhook_events(receivers.url(path)) == []  # nothing owed for a draft's pictures
    at = soon(3)
    api.ok(
        "mutation($id: ID!, $at: DateTime) { publishExhibit(id: $id, at: $at) { status } }",
        {"id": exhibit, "at": taipei(at)},
    )
    receivers.wait_for(lambda: len(receivers.requests(path)) == 1, what="content.published of the exhibit")
    [body] = [Webhook(secret).verify(r.body, r.headers) for r in receivers.requests(path)]
    assert (body["type"], body["id"]) == ("content.published", exhibit)
    assert "images" not in body["data"]["en"] and body["data"]["en"]["title"] == "Pictured later"
    assert api.webhook_events(receivers.url(path)) == ["content.published"]

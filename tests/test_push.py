"""Push delivery over real TCP: signed webhooks and the WebSub hub, against `accord serve` and real
receivers on 127.0.0.1 (tests/harness/receivers.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import httpx
import orjson
import pytest
from sqlalchemy import text
from standardwebhooks.webhooks import Webhook

from accord.db import create_sync_engine
from tests.harness.clients import post
from tests.harness.databases import seed
from tests.harness.ports import free_port
from tests.harness.receivers import Receivers, running_receivers
from tests.harness.server import LiveServer, live_server, run_accord
from tests.harness.tokens import bearer, create_token

CREATE = """mutation($input: EventInput!) { createEvent(input: $input) { id slug } }"""
PUBLISH = "mutation($id: ID!) { publishEvent(id: $id) { id } }"
ARCHIVE = "mutation($id: ID!) { archiveEvent(id: $id) { id } }"
UPDATE = "mutation($id: ID!, $input: EventPatch!) { updateEvent(id: $id, input: $input) { id } }"
DELETE = "mutation($id: ID!) { deleteEvent(id: $id) }"
PUSH_ENV = {
    "ACCORD_WEBHOOK_ALLOW_PRIVATE": "true",
    "ACCORD_WEBHOOK_TIMEOUT_SECONDS": "1",
    "ACCORD_WEBHOOK_CLAIM_SECONDS": "3",
    "ACCORD_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "ACCORD_WEBHOOK_POLL_SECONDS": "0.5",
    "ACCORD_WEBHOOK_DISABLE_AFTER_FAILURES": "3",
    "ACCORD_WEBHOOK_MAX_ATTEMPTS": "8",
}


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    with running_receivers() as running:
        yield running


@dataclass
class Push:
    url: str  # the database
    servers: list[LiveServer]
    admin: dict[str, str]
    env: dict[str, str]
    receivers: Receivers
    public_url: str

    @property
    def server(self) -> LiveServer:
        return self.servers[0]

    def ok(
        self, document: str, variables: dict[str, Any], server: LiveServer | None = None
    ) -> dict[str, Any]:
        response = post(server or self.server, document, variables, headers=self.admin)
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def milestone(
        self, title: str, *, tags: list[str] | None = None, server: LiveServer | None = None
    ) -> str:
        """Create a milestone and publish it; returns its global id."""
        created = self.ok(
            CREATE,
            {
                "input": {
                    "title": {"en": title, "zhTw": f"{title}（中文）"},
                    "summary": {"en": f"About {title}.", "zhTw": "摘要。"},
                    "date": {"year": 2016, "month": 5},
                    "kind": "CONFERENCE",
                    "isMilestone": True,
                    "tags": tags or ["push-test"],
                    "places": [{"en": "Geneva", "zhTw": "日內瓦"}],
                }
            },
            server,
        )["createEvent"]
        self.ok(PUBLISH, {"id": created["id"]}, server)
        return str(created["id"])

    def add_webhook(self, path: str, *events: str, extra: tuple[str, ...] = ()) -> tuple[int, str]:
        """`accord webhook add`: (endpoint id, secret)."""
        result = run_accord(
            "webhook", "add", self.receivers.url(path), "--events", ",".join(events), *extra, env=self.env
        )
        assert result.returncode == 0, result.stderr
        secret = result.stdout.strip().splitlines()[-1]
        assert secret.startswith("whsec_")
        endpoint_id = int(result.stderr.split("webhook ", 1)[1].split(" ", 1)[0])
        return endpoint_id, secret

    def query(self, sql: str, **params: Any) -> list[Any]:
        engine = create_sync_engine(self.url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))
        finally:
            engine.dispose()


def _database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/accord.db"
    pg = request.getfixturevalue("postgres")
    return str(pg.url(pg.create_database()))


@pytest.fixture(params=["sqlite", "postgresql"])
def push(request: pytest.FixtureRequest, tmp_path: Path, logs: Path, receivers: Receivers) -> Iterator[Push]:
    """accord with webhooks on: one instance on SQLite, two on PostgreSQL (one public URL)."""
    url = _database(request, tmp_path)
    seed(url)
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    env = {**PUSH_ENV, "ACCORD_PUBLIC_URL": public_url}
    instances = 1 if request.param == "sqlite" else 2
    with ExitStack() as stack:
        servers = [stack.enter_context(live_server(url, logs, extra_env=env, port=port))]
        servers += [stack.enter_context(live_server(url, logs, extra_env=env)) for _ in range(instances - 1)]
        admin = create_token(servers[0].env, "admin-push", "admin")
        yield Push(url, servers, bearer(admin), servers[0].env, receivers, public_url)


def _verified(secret: str, request: Any) -> dict[str, Any]:
    """The body, after the standardwebhooks package has checked the signature."""
    body: dict[str, Any] = Webhook(secret).verify(request.body, request.headers)
    return body


def _sse_payload(server: LiveServer, change_id: int, locale: str) -> dict[str, Any]:
    """The milestoneAdded payload Server-Sent Events carry for change ``change_id``."""
    url = f"{server.url}/feeds/milestones/stream?locale={locale}&lastEventId={change_id - 1}"
    with httpx.stream("GET", url, timeout=10) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                payload: dict[str, Any] = orjson.loads(line[6:])["data"]["milestoneAdded"]
                return payload
    raise AssertionError("no event on the stream")


def test_webhooks_to_real_receivers(push: Push) -> None:
    receivers = push.receivers
    tag = f"t{os.urandom(4).hex()}"  # this test's endpoints only see this test's events
    ok_id, ok_secret = push.add_webhook(
        f"/ok/{tag}", "milestone.published", "content.archived", extra=("--tag", tag)
    )
    flaky_id, flaky_secret = push.add_webhook(f"/flaky/{tag}", "milestone.published", extra=("--tag", tag))
    hang_id, _ = push.add_webhook(f"/hang/{tag}", "milestone.published", extra=("--tag", tag))
    gone_id, _ = push.add_webhook(f"/gone/{tag}", "milestone.published", extra=("--tag", tag))
    other_id, _ = push.add_webhook(f"/ok/other-{tag}", "content.deleted", extra=("--tag", tag))

    event_id = push.milestone(f"Push forum {tag}", tags=[tag])
    receivers.wait_for(lambda: len(receivers.requests(f"/ok/{tag}")) == 1, what="the 200 receiver")
    (request,) = receivers.requests(f"/ok/{tag}")
    body = _verified(ok_secret, request)
    assert body["type"] == "milestone.published"
    assert body["id"] == event_id and body["contentType"] == "Event"
    assert body["slug"] == f"push-forum-{tag}"
    change_id = body["changeId"]
    assert isinstance(change_id, int)
    # The data is the milestoneAdded payload, in both languages.
    assert body["data"]["en"] == _sse_payload(push.server, change_id, "en")
    assert body["data"]["zh-TW"] == _sse_payload(push.server, change_id, "zh-TW")
    assert body["data"]["zh-TW"]["title"] == f"Push forum {tag}（中文）"
    # A tampered body fails verification: the check can fail.
    with pytest.raises(Exception, match="signature"):
        Webhook(ok_secret).verify(request.body.replace(b"Push", b"Pish"), request.headers)

    # 500, 500, then 200: one webhook-id, three attempts, delivered.
    receivers.wait_for(lambda: len(receivers.requests(f"/flaky/{tag}")) == 3, what="three attempts")
    flaky = receivers.requests(f"/flaky/{tag}")
    assert len({r.webhook_id for r in flaky}) == 1
    assert all(_verified(flaky_secret, r)["changeId"] == change_id for r in flaky)

    # 410 disables at once; the hanging one is disabled after three timeouts in a row.
    def disabled(endpoint_id: int) -> str | None:
        rows = push.query(
            "SELECT enabled, disabled_reason FROM webhook_endpoint WHERE id = :i", i=endpoint_id
        )
        return None if rows[0].enabled else str(rows[0].disabled_reason)

    receivers.wait_for(lambda: disabled(gone_id) is not None, what="the 410 endpoint disabled")
    assert "410 Gone" in str(disabled(gone_id))
    assert len(receivers.requests(f"/gone/{tag}")) == 1
    receivers.wait_for(
        lambda: disabled(hang_id) is not None, timeout=60, what="the hanging endpoint disabled"
    )
    assert "3 failed attempts in a row" in str(disabled(hang_id)) and "no answer within 1s" in str(
        disabled(hang_id)
    )
    # An admin sees it through GraphQL too, on every instance.
    for server in push.servers:
        seen = push.ok("{ webhooks { id enabled consecutiveFailures disabledReason } }", {}, server)
        by_id = {int(hook["id"]): hook for hook in seen["webhooks"]}
        assert not by_id[gone_id]["enabled"] and "410 Gone" in by_id[gone_id]["disabledReason"]
        assert not by_id[hang_id]["enabled"] and by_id[hang_id]["consecutiveFailures"] >= 3
        assert by_id[ok_id]["enabled"] and by_id[ok_id]["disabledReason"] is None
    listing = run_accord("webhook", "list", env=push.env)
    assert listing.returncode == 0 and "410 Gone" in listing.stdout and "whsec_" not in listing.stdout

    deliveries = run_accord("webhook", "deliveries", str(flaky_id), env=push.env)
    assert deliveries.returncode == 0, deliveries.stderr
    assert "delivered" in deliveries.stdout and "3" in deliveries.stdout

    # Archive: content.archived to the endpoint that wants it; nothing to the one that wants deletions.
    push.ok(ARCHIVE, {"id": event_id})
    receivers.wait_for(lambda: len(receivers.requests(f"/ok/{tag}")) == 2, what="content.archived")
    archived = _verified(ok_secret, receivers.requests(f"/ok/{tag}")[1])
    assert archived["type"] == "content.archived" and archived["changeId"] > change_id
    push.ok(DELETE, {"id": event_id})
    receivers.wait_for(lambda: len(receivers.requests(f"/ok/other-{tag}")) == 1, what="content.deleted")
    deleted = receivers.requests(f"/ok/other-{tag}")[0].body
    assert orjson.loads(deleted)["type"] == "content.deleted" and orjson.loads(deleted)["data"] is None
    assert len(receivers.requests(f"/ok/{tag}")) == 2  # it did not ask for content.deleted

    # A disabled endpoint is tested by hand, then enabled again.
    test_run = run_accord("webhook", "test", str(ok_id), env=push.env)
    assert test_run.returncode == 0, test_run.stderr
    assert "delivered: HTTP 200" in test_run.stdout
    assert _verified(ok_secret, receivers.requests(f"/ok/{tag}")[-1])["type"] == "webhook.test"
    assert run_accord("webhook", "test", str(gone_id), env=push.env).returncode == 1
    assert run_accord("webhook", "remove", str(other_id), env=push.env).returncode == 0
    assert push.query("SELECT count(*) FROM push_delivery WHERE endpoint_id = :i", i=other_id)[0][0] == 0


def test_each_delivery_is_sent_once(push: Push) -> None:
    """On PostgreSQL two instances share the outbox: writes through both, each webhook-id once."""
    receivers = push.receivers
    tag = f"t{os.urandom(4).hex()}"
    _, secret = push.add_webhook(
        f"/ok/{tag}", "milestone.published", "content.published", extra=("--tag", tag)
    )
    count = 6
    for n in range(count):
        push.milestone(f"Once {tag} {n}", tags=[tag], server=push.servers[n % len(push.servers)])
    # Two events per milestone: content.published (created... published) and milestone.published.
    receivers.wait_for(lambda: len(receivers.requests(f"/ok/{tag}")) >= 2 * count, what="every delivery")
    rows = push.query(
        "SELECT webhook_id, status FROM push_delivery d "
        "JOIN webhook_endpoint e ON e.id = d.endpoint_id WHERE e.url LIKE :u",
        u=f"%/ok/{tag}",
    )
    assert len(rows) == 2 * count and {row.status for row in rows} == {"delivered"}
    seen = Counter(r.webhook_id for r in receivers.requests(f"/ok/{tag}"))
    assert seen == Counter({row.webhook_id: 1 for row in rows})
    types = Counter(_verified(secret, r)["type"] for r in receivers.requests(f"/ok/{tag}"))
    assert types == {"milestone.published": count, "content.published": count}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_nothing_is_lost_when_an_instance_is_killed(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, logs: Path, receivers: Receivers
) -> None:
    url = f"sqlite:///{tmp_path}/accord.db"
    if backend == "postgresql":
        pg = request.getfixturevalue("postgres")
        url = pg.url(pg.create_database())
    seed(url)
    tag = f"t{os.urandom(4).hex()}"
    port = free_port()
    env = {**PUSH_ENV, "ACCORD_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with live_server(url, logs, extra_env=env, port=port) as server:
        admin = bearer(create_token(server.env, "admin-kill", "admin"))
        push = Push(url, [server], admin, server.env, receivers, server.url)
        for n in range(4):  # slow receivers: deliveries are in flight when the process dies
            push.add_webhook(f"/slow/{tag}/{n}", "milestone.published")
        for n in range(5):
            push.milestone(f"Killed {tag} {n}")
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    expected = {
        row.webhook_id
        for row in push.query("SELECT webhook_id FROM push_delivery WHERE event_type = 'milestone.published'")
    }
    assert len(expected) == 20
    rows = push.query("SELECT webhook_id, status FROM push_delivery")
    at_kill = {row.webhook_id: row.status for row in rows}
    pending = sum(status == "pending" for status in at_kill.values())
    assert pending > 0  # the kill did interrupt deliveries
    with live_server(url, logs, extra_env=env, port=port):
        receivers.wait_for(
            lambda: expected <= {r.webhook_id for r in receivers.requests(f"/slow/{tag}/")},
            timeout=60,
            what="every delivery after the restart",
        )
    seen = Counter(r.webhook_id for r in receivers.requests(f"/slow/{tag}/"))
    assert set(seen) == expected
    # Only what was in flight at the kill (sent, its answer not yet recorded) may come twice, and
    # receivers see it by the same webhook-id; what was recorded as delivered never comes again.
    assert all(seen[webhook_id] == 1 for webhook_id, status in at_kill.items() if status == "delivered")
    assert all(seen[webhook_id] <= 2 for webhook_id, status in at_kill.items() if status == "pending")


# ---------------------------------------------------------------------------------------- WebSub


def _subscribe(push: Push, mode: str, topic: str, callback: str, **extra: str) -> httpx.Response:
    form = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback, **extra}
    return httpx.post(f"{push.server.url}/websub", data=form, timeout=10)


def _state(push: Push, callback: str) -> str | None:
    rows = push.query("SELECT state FROM websub_subscription WHERE callback = :c", c=callback)
    return str(rows[0].state) if rows else None


def test_websub_subscriber(push: Push) -> None:
    receivers = push.receivers
    tag = f"t{os.urandom(4).hex()}"
    topic = f"{push.public_url}/feeds/milestones.atom?tag={tag}"
    callback_a = receivers.url(f"/websub/{tag}/a")
    callback_b = receivers.url(f"/websub/{tag}/b")
    secret = "a subscriber's secret"

    # Discovery: the feed names the hub and itself, in the document and in Link headers.
    feed = httpx.get(topic, timeout=10)
    assert f'<{push.public_url}/websub>; rel="hub"' in feed.headers["link"]
    assert f'<{topic}>; rel="self"' in feed.headers["link"]
    parsed = feedparser.parse(feed.content)
    assert {link["rel"]: link["href"] for link in parsed.feed.links}["hub"] == f"{push.public_url}/websub"

    # Subscribe: 202, then the hub verifies intent with a GET carrying a challenge.
    answer = _subscribe(
        push, "subscribe", topic, callback_a, **{"hub.secret": secret, "hub.lease_seconds": "3600"}
    )
    assert answer.status_code == 202, answer.text
    assert _subscribe(push, "subscribe", topic, callback_b).status_code == 202
    # The same topic as RSS, at a callback that answers 500 twice before taking a distribution.
    rss_topic = topic.replace(".atom?", ".rss?")
    flaky = receivers.url(f"/flaky/websub/{tag}/rss")
    assert _subscribe(push, "subscribe", rss_topic, flaky, **{"hub.secret": secret}).status_code == 202
    receivers.wait_for(lambda: _state(push, callback_a) == "active" and _state(push, callback_b) == "active")
    receivers.wait_for(lambda: _state(push, flaky) == "active")
    gone = receivers.url(f"/gone/websub/{tag}")  # takes the verification, answers 410 to the feed
    assert _subscribe(push, "subscribe", topic, gone).status_code == 202
    receivers.wait_for(lambda: _state(push, gone) == "active")
    (check,) = receivers.requests(f"/websub/{tag}/a", "GET")
    assert check.query["hub.mode"] == ["subscribe"] and check.query["hub.topic"] == [topic]
    assert check.query["hub.lease_seconds"] == ["3600"] and check.query["hub.challenge"][0]

    # Distribution: the updated feed, in the topic's format, signed with the subscriber's secret.
    push.milestone(f"WebSub {tag}", tags=[tag])
    receivers.wait_for(
        lambda: len(receivers.requests(f"/websub/{tag}/a", "POST")) == 1, what="a distribution"
    )
    (delivered,) = receivers.requests(f"/websub/{tag}/a", "POST")
    expected = "sha256=" + hmac.new(secret.encode(), delivered.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(delivered.headers["x-hub-signature"], expected)
    assert delivered.headers["content-type"].startswith("application/atom+xml")
    assert f'<{topic}>; rel="self"' in delivered.headers["link"]
    distributed = feedparser.parse(delivered.body)
    assert distributed.bozo == 0
    assert [entry.title for entry in distributed.entries] == [f"May 2016: WebSub {tag}"]
    receivers.wait_for(lambda: len(receivers.requests(f"/websub/{tag}/b", "POST")) == 1)
    assert "x-hub-signature" not in receivers.requests(f"/websub/{tag}/b", "POST")[0].headers
    # Retried through the outbox like a webhook (same backoff): the RSS feed, signed, on the third try.
    receivers.wait_for(
        lambda: len(receivers.requests(f"/flaky/websub/{tag}/rss", "POST")) == 3, what="three tries"
    )
    tries = receivers.requests(f"/flaky/websub/{tag}/rss", "POST")
    assert len({t.body for t in tries}) == 1
    assert tries[-1].headers["content-type"].startswith("application/rss+xml")
    assert tries[-1].headers["x-hub-signature"] == (
        "sha256=" + hmac.new(secret.encode(), tries[-1].body, hashlib.sha256).hexdigest()
    )
    as_rss = feedparser.parse(tries[-1].body)
    assert as_rss.bozo == 0 and as_rss.version.startswith("rss")
    assert [entry.title for entry in as_rss.entries] == [f"May 2016: WebSub {tag}"]

    def recorded() -> list[Any]:
        return push.query(
            "SELECT d.status, d.attempts, d.last_status_code FROM push_delivery d "
            "JOIN websub_subscription s ON s.id = d.subscription_id WHERE s.callback = :c",
            c=flaky,
        )

    receivers.wait_for(lambda: [tuple(r) for r in recorded()] == [("delivered", 3, 200)], what="recorded")
    # 410 Gone ends a subscription as it disables a webhook: nothing more is sent to it.
    receivers.wait_for(lambda: _state(push, gone) == "gone", what="the subscription ended by 410")
    assert len(receivers.requests(f"/gone/websub/{tag}", "POST")) == 1

    # Unsubscribe (verified the same way): the next change reaches b only.
    assert _subscribe(push, "unsubscribe", topic, callback_a).status_code == 202
    receivers.wait_for(lambda: _state(push, callback_a) == "unsubscribed")
    assert receivers.requests(f"/websub/{tag}/a", "GET")[-1].query["hub.mode"] == ["unsubscribe"]
    push.milestone(f"WebSub {tag} again", tags=[tag])
    receivers.wait_for(lambda: len(receivers.requests(f"/websub/{tag}/b", "POST")) == 2)
    assert len(receivers.requests(f"/websub/{tag}/a", "POST")) == 1
    titles = [
        e.title for e in feedparser.parse(receivers.requests(f"/websub/{tag}/b", "POST")[1].body).entries
    ]
    assert f"May 2016: WebSub {tag} again" in titles

    # A lease that runs out ends the subscription; subscribing again renews it.
    callback_c = receivers.url(f"/websub/{tag}/c")
    assert _subscribe(push, "subscribe", topic, callback_c, **{"hub.lease_seconds": "1"}).status_code == 202
    receivers.wait_for(lambda: _state(push, callback_c) == "active")
    receivers.wait_for(lambda: _state(push, callback_c) == "expired", timeout=20, what="the lease to run out")
    push.milestone(f"WebSub {tag} third", tags=[tag])
    receivers.wait_for(lambda: len(receivers.requests(f"/websub/{tag}/b", "POST")) == 3)
    assert receivers.requests(f"/websub/{tag}/c", "POST") == []
    assert _subscribe(push, "subscribe", topic, callback_c).status_code == 202
    receivers.wait_for(lambda: _state(push, callback_c) == "active", what="the renewal")
    push.milestone(f"WebSub {tag} fourth", tags=[tag])
    receivers.wait_for(lambda: len(receivers.requests(f"/websub/{tag}/c", "POST")) == 1, what="c again")
    assert len(receivers.requests(f"/gone/websub/{tag}", "POST")) == 1  # three milestones later

    # A callback that does not echo the challenge is not subscribed.
    refusing = receivers.url(f"/websub/{tag}/refuse")
    assert _subscribe(push, "subscribe", topic, refusing).status_code == 202
    receivers.wait_for(lambda: _state(push, refusing) == "failed")
    reason = push.query("SELECT state_reason FROM websub_subscription WHERE callback = :c", c=refusing)[0][0]
    assert "verification of intent failed" in reason


def test_websub_refuses_bad_requests(push: Push) -> None:
    callback = push.receivers.url("/websub/bad")
    feed = f"{push.public_url}/feeds/milestones.rss"
    cases = [
        (
            {"hub.mode": "subscribe", "hub.topic": "https://example.org/feed", "hub.callback": callback},
            "hub.topic",
        ),
        (
            {
                "hub.mode": "subscribe",
                "hub.topic": f"{push.public_url}/feeds/nope.rss",
                "hub.callback": callback,
            },
            "no feed",
        ),
        (
            {
                "hub.mode": "subscribe",
                "hub.topic": f"{push.public_url}/feeds/partners/nope.atom",
                "hub.callback": callback,
            },
            "not a feed",
        ),
        ({"hub.mode": "publish", "hub.topic": feed, "hub.callback": callback}, "hub.mode"),
        ({"hub.mode": "subscribe", "hub.topic": feed}, "hub.callback"),
        ({"hub.mode": "subscribe", "hub.topic": feed, "hub.callback": "http://169.254.169.254/"}, "metadata"),
        ({"hub.mode": "subscribe", "hub.topic": feed, "hub.callback": "ftp://x/"}, "http"),
        (
            {"hub.mode": "subscribe", "hub.topic": feed, "hub.callback": callback, "hub.lease_seconds": "１"},
            "lease",
        ),
        (
            {"hub.mode": "subscribe", "hub.topic": feed, "hub.callback": callback, "hub.secret": "x" * 200},
            "200 bytes",
        ),
    ]
    for form, message in cases:
        answer = httpx.post(f"{push.server.url}/websub", data=form, timeout=10)
        assert answer.status_code == 400, (form, answer.text)
        assert message in answer.text, (form, answer.text)
    big = httpx.post(
        f"{push.server.url}/websub",
        content=b"hub.mode=subscribe&x=" + b"a" * 20_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert big.status_code == 400 and "larger than" in big.text
    assert (
        httpx.post(f"{push.server.url}/websub", json={"hub.mode": "subscribe"}, timeout=10).status_code == 400
    )


# ---------------------------------------------------------------------------------------- docs

DOCS = Path(__file__).parent.parent / "docs" / "webhooks.md"
JS_RUNNER = """import { verifyAccordWebhook } from "./verify.mjs";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { secret, cases } = JSON.parse(input);
for (const c of cases) {
  try {
    console.log(verifyAccordWebhook(secret, c.headers, Buffer.from(c.body, "base64")).type);
  } catch (error) {
    console.log(`refused: ${error.message}`);
  }
}
"""


def _code_block(language: str) -> str:
    text_ = DOCS.read_text()
    start = text_.index(f"```{language}\n") + len(language) + 4
    return text_[start : text_.index("```", start)]


@pytest.mark.parametrize("push", ["sqlite"], indirect=True)
def test_the_documented_verification_examples(push: Push, tmp_path: Path) -> None:
    """docs/webhooks.md's Python and JavaScript examples accept a real delivery, refuse a tampered one."""
    receivers = push.receivers
    tag = f"t{os.urandom(4).hex()}"
    _, secret = push.add_webhook(f"/ok/{tag}", "milestone.published", extra=("--tag", tag))
    push.milestone(f"Docs {tag}", tags=[tag])
    receivers.wait_for(lambda: len(receivers.requests(f"/ok/{tag}")) == 1)
    (request,) = receivers.requests(f"/ok/{tag}")
    tampered = request.body.replace(b"Docs", b"Dogs")

    namespace: dict[str, Any] = {}
    exec(compile(_code_block("python"), str(DOCS), "exec"), namespace)
    verify = namespace["verify_accord_webhook"]
    assert verify(secret, request.headers, request.body)["type"] == "milestone.published"
    with pytest.raises(namespace["WebhookVerificationError"]):
        verify(secret, request.headers, tampered)

    (tmp_path / "verify.mjs").write_text(_code_block("javascript"))
    (tmp_path / "run.mjs").write_text(JS_RUNNER)
    cases = [
        {"headers": request.headers, "body": base64.b64encode(body).decode()}
        for body in (request.body, tampered)
    ]
    old = dict(
        request.headers, **{"webhook-timestamp": str(int(request.headers["webhook-timestamp"]) - 3600)}
    )
    cases.append({"headers": old, "body": base64.b64encode(request.body).decode()})
    result = subprocess.run(
        ["node", "run.mjs"],
        input=orjson.dumps({"secret": secret, "cases": cases}),
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines() == [
        "milestone.published",
        "refused: no matching signature",
        "refused: timestamp too old or too new",
    ]

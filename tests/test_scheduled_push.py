"""Scheduled publishes reach webhooks and WebSub subscribers as any publish does: nothing before the
scheduled time, one signed delivery and one distribution after it, with publishedAt equal to the
scheduled time; on PostgreSQL with two instances looking at the same moment, still one of each. The
milestone has a picture: the distributed feed shows it, the webhook data leaves images out."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import feedparser
import httpx
import pytest
from sqlalchemy import func, select, text
from standardwebhooks.webhooks import Webhook

from accord.core.ids import from_global_id
from accord.core.tables import changes
from accord.db import create_sync_engine
from tests.harness.databases import seed
from tests.harness.desk import Desk, soon, taipei
from tests.harness.images import encode, marked
from tests.harness.ports import free_port
from tests.harness.receivers import Receivers, running_receivers
from tests.harness.server import LiveServer, live_server, run_accord
from tests.harness.uploads import multipart_upload, uploaded

PUSH_ENV = {
    "ACCORD_WEBHOOK_ALLOW_PRIVATE": "true",
    "ACCORD_WEBHOOK_TIMEOUT_SECONDS": "2",
    "ACCORD_WEBHOOK_POLL_SECONDS": "0.5",
    "ACCORD_SCHEDULE_POLL_SECONDS": "0.2",  # every instance looks often: they race for each item
}


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    with running_receivers() as running:
        yield running


def _count(url: str, sql: str, **params: Any) -> int:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("setup", ["sqlite", "postgresql-two-instances"])
def test_a_scheduled_publish_reaches_webhooks_and_websub_once_at_its_time(
    setup: str, receivers: Receivers, tmp_path: Any, logs: Any, request: pytest.FixtureRequest
) -> None:
    if setup == "sqlite":
        url = f"sqlite:///{tmp_path}/accord.db"
    else:
        postgres = request.getfixturevalue("postgres")
        url = str(postgres.url(postgres.create_database()))
    seed(url)
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    env = {**PUSH_ENV, "ACCORD_PUBLIC_URL": public_url}
    with ExitStack() as stack:
        servers: list[LiveServer] = [stack.enter_context(live_server(url, logs, extra_env=env, port=port))]
        if setup != "sqlite":
            servers.append(stack.enter_context(live_server(url, logs, extra_env=env)))
        desk = Desk.open(servers[0], "scheduled-push")
        tag = f"s{os.urandom(4).hex()}"

        added = run_accord(
            "webhook",
            "add",
            receivers.url(f"/ok/{tag}"),
            "--events",
            "milestone.published,content.published",
            "--tag",
            tag,
            env=servers[0].env,
        )
        assert added.returncode == 0, added.stderr
        secret = added.stdout.strip().splitlines()[-1]
        topic = f"{public_url}/feeds/milestones.atom?tag={tag}"
        callback = receivers.url(f"/websub/{tag}/a")
        hub = {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": callback}
        assert httpx.post(f"{public_url}/websub", data=hub, timeout=10).status_code == 202

        def subscribed() -> bool:
            sql = "SELECT count(*) FROM websub_subscription WHERE callback = :c AND state = 'active'"
            return _count(url, sql, c=callback) == 1

        receivers.wait_for(subscribed, what="the WebSub subscription verified")

        event_id = desk.create_event(f"ceremony-{tag}", tags=[tag])
        picture = uploaded(
            multipart_upload(
                servers[0].graphql_url,
                encode(marked((640, 480)), "JPEG"),
                headers=desk.tokens["editor"],
                event_id=event_id,
                alt={"en": "The signing table"},
            )
        )
        at = soon(4)
        assert desk.schedule(event_id, taipei(at))["status"] == "DRAFT"
        # Scheduling, creating and attaching a picture to a draft push nothing.
        time.sleep(1)
        assert datetime.now().astimezone() < at, "the steps before the scheduled time took too long"
        assert receivers.requests(f"/ok/{tag}") == []
        assert receivers.requests(f"/websub/{tag}/a", "POST") == []

        receivers.wait_for(lambda: len(receivers.requests(f"/ok/{tag}")) >= 2, what="the webhook deliveries")
        receivers.wait_for(
            lambda: len(receivers.requests(f"/websub/{tag}/a", "POST")) >= 1, what="the distribution"
        )
        # Wait for the scheduler rounds of every instance to pass: nothing more may come.
        time.sleep(2)
        deliveries = receivers.requests(f"/ok/{tag}")
        bodies = [Webhook(secret).verify(r.body, r.headers) for r in deliveries]
        assert sorted(body["type"] for body in bodies) == ["content.published", "milestone.published"]
        assert all(r.at >= at.timestamp() for r in deliveries), "delivered before its time"
        milestone = next(body for body in bodies if body["type"] == "milestone.published")
        assert milestone["id"] == event_id and milestone["slug"] == f"ceremony-{tag}"
        assert datetime.fromisoformat(milestone["data"]["en"]["publishedAt"]) == at
        assert "images" not in milestone["data"]["en"]  # webhook data holds no images (webhooks.md)
        assert len({body["changeId"] for body in bodies}) == 1  # one publish

        [distribution] = receivers.requests(f"/websub/{tag}/a", "POST")
        assert distribution.at >= at.timestamp()
        feed = feedparser.parse(distribution.body)
        assert feed.bozo == 0
        assert [entry.link.rsplit("/", 1)[-1] for entry in feed.entries] == [f"ceremony-{tag}"]
        # The picture goes with the entry, on the public URL now that the event is published.
        content_hash = picture["url"].split("/media/", 1)[1].split("/", 1)[0]
        assert content_hash.encode() in distribution.body
        assert httpx.get(picture["url"].replace(public_url, servers[-1].url), timeout=30).status_code == 200

        type_name, number = from_global_id(event_id)
        engine = create_sync_engine(url)
        try:
            with engine.connect() as conn:
                publishes = conn.execute(
                    select(func.count()).where(
                        changes.c.content_type == type_name,
                        changes.c.content_id == number,
                        changes.c.action == "publish",
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        assert publishes == 1

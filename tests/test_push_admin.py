"""Webhook registration refused with clear errors (CLI and the plain functions), the SSRF guard at
send time, and the signing checked by the standardwebhooks package."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from accord.core.auth import Role, Viewer
from accord.core.errors import BadInput, Forbidden, NotFound, Unauthenticated
from accord.db import create_async_db_engine
from accord.feeds.endpoints import FeedEndpoints
from accord.push.addresses import UnsafeURL, check_url
from accord.push.admin import (
    PushAdmin,
    create_webhook,
    delete_webhook,
    list_deliveries,
    list_webhooks,
    replay_delivery,
    send_test,
    update_webhook,
)
from accord.push.deliverer import Deliverer, Outcome
from accord.push.outbox import deliveries
from accord.push.retry import nominal_schedule, retry_delay
from accord.push.sender import MAX_ANSWER_BYTES, Answer, Sender
from accord.push.signing import new_secret, webhook_headers
from accord.push.topics import TopicFeeds
from accord.settings import Settings
from tests.harness.databases import migrated_engine
from tests.harness.receivers import Receivers, running_receivers
from tests.harness.server import accord_env, run_accord

ADMIN = Viewer("ada", Role.ADMIN)
EDITOR = Viewer("ed", Role.EDITOR)
TOO_LONG_SECRET = "whsec_" + base64.b64encode(b"k" * 100).decode()


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    with running_receivers() as running:
        yield running


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/accord.db"
    migrated_engine(url).dispose()
    return url


@pytest.fixture
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    created = create_async_db_engine(database)
    yield created
    await created.dispose()


def _admin(engine: AsyncEngine, **settings: object) -> PushAdmin:
    return PushAdmin(engine, Settings(database_url=str(engine.url), **settings))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["http://example.org/hook"], {"ACCORD_ENV": "production"}, "input.url: the URL must use https://"),
        (["https://10.1.2.3/hook"], {}, "input.url: the URL resolves to 10.1.2.3, a private address"),
        (["http://127.0.0.1:9/hook"], {}, "a loopback address"),
        (["http://[::ffff:192.168.0.1]/hook"], {}, "a private address"),
        (
            ["http://169.254.169.254/latest"],
            {"ACCORD_WEBHOOK_ALLOW_PRIVATE": "true"},
            "a cloud metadata address",
        ),
        (["http://user:pw@example.org/"], {}, "must not carry a user name or password"),
        (["https://example.org/\x0bhook"], {}, "control characters"),
        (
            ["https://93.184.215.14/h", "--events", "milestone.published,nope"],
            {},
            "input.events[1]: unknown event",
        ),
        (["https://93.184.215.14/h", "--secret", TOO_LONG_SECRET], {}, "input.secret: is longer than"),
        (
            ["https://93.184.215.14/h", "--secret", "whsec_c2hvcnQ="],
            {},
            "input.secret: must encode 24 to 64 bytes",
        ),
        (["https://93.184.215.14/h", "--partner", "Not A Slug"], {}, "input.partner"),
    ],
)
def test_cli_refuses_bad_registrations(
    database: str, args: list[str], env: dict[str, str], message: str
) -> None:
    if "--events" not in args:
        args = [*args, "--events", "milestone.published"]
    result = run_accord("webhook", "add", *args, env=accord_env(database, env))
    assert result.returncode == 1, result.stdout
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr
    assert "whsec_" not in result.stdout


async def test_plain_functions(engine: AsyncEngine, receivers: Receivers) -> None:
    admin = _admin(engine, webhook_allow_private=True)
    with pytest.raises(Unauthenticated):
        await list_webhooks(admin, None)
    with pytest.raises(Forbidden, match="may not manage webhooks"):
        await create_webhook(admin, EDITOR, url=receivers.url("/ok/x"), events=["content.updated"])
    for events, field in (
        ([], "input.events"),
        (["content.updated"] * 2, "input.events"),
        (["x"], "input.events[0]"),
    ):
        with pytest.raises(BadInput) as caught:
            await create_webhook(admin, ADMIN, url=receivers.url("/ok/x"), events=events)
        assert caught.value.field == field
    with pytest.raises(BadInput) as caught:
        await create_webhook(
            admin, ADMIN, url=receivers.url("/ok/x"), events=["content.updated"], secret="nope"
        )
    assert caught.value.field == "input.secret"
    with pytest.raises(BadInput) as caught:
        await create_webhook(_admin(engine), ADMIN, url=receivers.url("/ok/x"), events=["content.updated"])
    assert caught.value.field == "input.url" and "loopback" in str(caught.value)
    assert await list_webhooks(admin, ADMIN) == []  # nothing was written by a refused call

    created = await create_webhook(
        admin, ADMIN, url=receivers.url("/ok/plain"), events=["content.updated"], tag="wto"
    )
    assert created.secret.startswith("whsec_") and created.webhook.tag == "wto"
    assert "secret" not in repr(created.webhook)
    hook_id = created.webhook.id
    updated = await update_webhook(admin, ADMIN, hook_id, tag=None, enabled=False)
    assert updated.tag is None and not updated.enabled
    with pytest.raises(NotFound):
        await update_webhook(admin, ADMIN, 999, enabled=True)
    queued = await send_test(admin, ADMIN, hook_id)
    assert queued.status == "pending" and queued.next_attempt_at is not None
    with pytest.raises(BadInput, match="only failed or cancelled"):
        await replay_delivery(admin, ADMIN, queued.id)
    with pytest.raises(NotFound):
        await replay_delivery(admin, ADMIN, 12345)
    (listed,) = await list_deliveries(admin, ADMIN, hook_id)
    assert listed.webhook_id == queued.webhook_id and listed.attempts == 0
    with pytest.raises(BadInput):
        await list_deliveries(admin, ADMIN, hook_id, first=10_000)
    assert await delete_webhook(admin, ADMIN, hook_id) == hook_id
    assert await list_webhooks(admin, ADMIN) == []


async def test_sender_checks_the_address_and_never_follows_redirects(receivers: Receivers) -> None:
    strict = Sender(timeout=2, production=False, allow_private=False)
    relaxed = Sender(timeout=2, production=False, allow_private=True)
    try:
        # A literal address (checked by the socket factory) and a host name (by the resolver).
        refused = await strict.request("POST", receivers.url("/ok/refused"), body=b"{}")
        assert refused.status_code is None and "loopback" in str(refused.error)
        by_name_refused = receivers.url("/ok/refused").replace("127.0.0.1", "localhost")
        refused = await strict.request("POST", by_name_refused, body=b"{}")
        assert refused.status_code is None and "a loopback address" in str(refused.error)
        assert receivers.requests("/ok/refused") == []  # refused before connecting
        redirected = await relaxed.request("POST", receivers.url("/redirect/x"), body=b"{}")
        assert redirected.status_code == 302 and not redirected.ok
        # The request went to the checked address, with the URL's own host name in Host.
        by_name = receivers.url("/ok/by-name").replace("127.0.0.1", "localhost")
        assert (await relaxed.request("POST", by_name, body=b"{}")).ok
        (seen,) = receivers.requests("/ok/by-name")
        assert seen.headers["host"] == f"localhost:{receivers.port}"
        # Connections are kept alive and reused...
        for _ in range(3):
            assert (await relaxed.request("POST", receivers.url("/ok/keep-alive"), body=b"{}")).ok
        assert len({r.peer_port for r in receivers.requests("/ok/keep-alive")}) == 1
        # ... except one whose answer was cut at the cap instead of read to its end.
        big = await relaxed.request("POST", receivers.url("/big/answer"), body=b"{}")
        assert big.ok and len(big.text) == MAX_ANSWER_BYTES
        assert (await relaxed.request("POST", receivers.url("/ok/after-big"), body=b"{}")).ok
        (cut,) = receivers.requests("/big/answer")
        (after,) = receivers.requests("/ok/after-big")
        assert after.peer_port != cut.peer_port
    finally:
        await strict.close()
        await relaxed.close()
    with pytest.raises(UnsafeURL, match="does not resolve"):
        await check_url("https://no-such-host.invalid/", production=True, allow_private=False)


def test_signatures_verify_with_the_standardwebhooks_package() -> None:
    secret = new_secret()
    body = b'{"type":"content.updated"}'
    import time

    headers = webhook_headers(secret, "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {"type": "content.updated"}
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(body, headers)


def test_retry_schedule() -> None:
    # The defaults: about 8 attempts over a day, each answer awaited 10 s at most.
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    assert defaults["webhook_timeout_seconds"] == 10.0
    waits = nominal_schedule(defaults["webhook_max_attempts"], defaults["webhook_retry_base_seconds"])
    assert len(waits) == 7 and waits[0] == 15.0
    assert 20 * 3600 < sum(waits) < 26 * 3600  # about a day from the first attempt to the last
    jittered = [retry_delay(3, 15.0) for _ in range(200)]
    assert min(jittered) >= 15 * 16 * 0.75 and max(jittered) <= 15 * 16 * 1.25
    assert len(set(jittered)) > 100


def _deliverer(admin: PushAdmin, sender: Sender, instance: str) -> Deliverer:
    return Deliverer(
        admin.settings,
        engine=admin.engine,
        transaction=admin.engine.begin,
        sender=sender,
        topics=TopicFeeds(FeedEndpoints.from_settings(admin.settings, admin.engine)),
        instance=instance,
    )


async def _delivery_row(engine: AsyncEngine, delivery_id: int) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(deliveries).where(deliveries.c.id == delivery_id))).one()


async def test_outcomes_recorded_in_one_batch(engine: AsyncEngine, receivers: Receivers) -> None:
    """Outcomes recorded together come out as if recorded one by one in the order they finished."""
    admin = _admin(engine, webhook_allow_private=True, webhook_disable_after_failures=2)
    made = await create_webhook(admin, ADMIN, url=receivers.url("/ok/batch"), events=["content.updated"])
    hook_id = made.webhook.id
    sender = Sender(timeout=2, production=False, allow_private=True)
    deliverer = _deliverer(admin, sender, "batch-test")
    try:
        queued = [await send_test(admin, ADMIN, hook_id) for _ in range(4)]
        claimed = await deliverer._record_and_claim([], [], 10)
        assert sorted(c.id for c in claimed) == sorted(q.id for q in queued)
        first, second, third, fourth = sorted(claimed, key=lambda c: c.id)
        failed = Answer(503, "down")
        # failed, delivered, failed: the failure before the success is no longer "in a row".
        await deliverer._record_and_claim(
            [Outcome(first, failed), Outcome(second, Answer(204)), Outcome(third, failed)], [], 0
        )
        (hook,) = await list_webhooks(admin, ADMIN)
        assert hook.enabled and hook.consecutive_failures == 1
        # Recording an outcome again (after a transaction whose end was not seen) changes nothing.
        await deliverer._record_and_claim([Outcome(third, failed), Outcome(second, Answer(200))], [], 0)
        (hook,) = await list_webhooks(admin, ADMIN)
        assert hook.consecutive_failures == 1
        assert (await _delivery_row(engine, second.id)).last_status_code == 204
        done = await _delivery_row(engine, second.id)
        assert (done.status, done.attempts, done.last_status_code) == ("delivered", 1, 204)
        assert done.claimed_by is None and done.delivered_at is not None
        retried = await _delivery_row(engine, first.id)
        assert (retried.status, retried.attempts, retried.last_error) == ("pending", 1, "HTTP 503: down")
        assert retried.claimed_by is None and retried.next_attempt_at > done.delivered_at
        # A second failure in a row reaches the limit of 2: the endpoint is disabled, and what it
        # still had pending (the first and third, waiting for their retries) is cancelled.
        await deliverer._record_and_claim([Outcome(fourth, failed)], [], 0)
        (hook,) = await list_webhooks(admin, ADMIN)
        assert not hook.enabled and "2 failed attempts in a row" in str(hook.disabled_reason)
        assert (await _delivery_row(engine, first.id)).status == "cancelled"
        assert (await _delivery_row(engine, fourth.id)).status == "pending"  # retried if re-enabled
    finally:
        await sender.close()


async def test_a_claim_too_old_to_send_is_handed_back(engine: AsyncEngine, receivers: Receivers) -> None:
    admin = _admin(engine, webhook_allow_private=True)
    made = await create_webhook(admin, ADMIN, url=receivers.url("/ok/late"), events=["content.updated"])
    sender = Sender(timeout=2, production=False, allow_private=True)
    deliverer = _deliverer(admin, sender, "late-test")
    try:
        queued = await send_test(admin, ADMIN, made.webhook.id)
        (claimed,) = await deliverer._record_and_claim([], [], 10)
        assert (await _delivery_row(engine, queued.id)).claimed_by == "late-test"
        # Queued for longer than its claim allows (as behind a stalled event loop): not sent.
        deliverer._queue.append(dataclasses.replace(claimed, send_by=time.monotonic() - 1))
        deliverer._pump()
        assert not deliverer._in_flight and deliverer._handed_back == [queued.id]
        await deliverer._cycle()  # the claim is released...
        assert not deliverer._handed_back and deliverer._wake.is_set()
        assert (await _delivery_row(engine, queued.id)).claimed_by is None
        await deliverer._cycle()  # ... and the delivery claimed again, afresh, and sent
        for _ in range(600):  # the send runs on this event loop: wait without blocking it
            if deliverer._finished or not deliverer._in_flight:
                break
            await asyncio.sleep(0.05)
        assert len(receivers.requests("/ok/late")) == 1
        assert receivers.requests("/ok/late")[0].webhook_id == queued.webhook_id
    finally:
        await deliverer.stop()
        await sender.close()
    row = await _delivery_row(engine, queued.id)
    assert row.status == "delivered" and row.claimed_by is None

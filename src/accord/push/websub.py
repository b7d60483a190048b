"""The WebSub hub (W3C Recommendation, 23 January 2018): ``POST /websub``.

A subscriber sends ``hub.mode`` (subscribe or unsubscribe), ``hub.topic`` (one of accord's feed
URLs), ``hub.callback``, and optionally ``hub.lease_seconds`` and ``hub.secret``. The request is
checked at once (a bad one gets 400 with a one-line reason); an acceptable one gets 202 Accepted,
and the hub then verifies the subscriber's intent (section 5.3): a GET to the callback carrying
``hub.mode``, ``hub.topic``, ``hub.challenge`` and ``hub.lease_seconds``, which must answer 2xx
with the challenge as its body. Only then is the subscription recorded (or renewed, or ended).
Distribution (section 7) goes through the outbox (``accord.push.outbox``, ``accord.push.deliverer``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from accord.models.columns import utcnow
from accord.push.addresses import UnsafeURL, check_url
from accord.push.outbox import ACTIVE, CANCELLED, PENDING, deliveries, subscriptions
from accord.push.sender import Sender
from accord.push.topics import NotATopic, TopicFeeds, criteria_of
from accord.settings import Settings

log = logging.getLogger("accord.push")
MAX_REQUEST_BYTES = 8192
MAX_SECRET_BYTES = 199  # the spec: "MUST be less than 200 bytes"
LEASE_RE = re.compile(r"[0-9]{1,10}")
Transaction = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


class HubRequestError(ValueError):
    """A subscription request answered with 400 and this message; ``param`` names the form field
    at fault (``hub.callback``), or None for the request as a whole."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class HubRequest:
    mode: str
    topic: str
    callback: str
    lease_seconds: int
    secret: str | None
    criteria: dict[str, Any]

    @property
    def key(self) -> str:
        return subscription_key(self.topic, self.callback)


def subscription_key(topic: str, callback: str) -> str:
    return hashlib.sha256(f"{topic}\n{callback}".encode()).hexdigest()


class WebSubHub:
    def __init__(
        self, settings: Settings, *, transaction: Transaction, sender: Sender, topics: TopicFeeds
    ) -> None:
        self.settings = settings
        self.transaction = transaction
        self.sender = sender
        self.topics = topics
        self._verifications: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        for task in list(self._verifications):
            task.cancel()
        await asyncio.gather(*self._verifications, return_exceptions=True)

    async def handle(self, request: Request) -> Response:
        try:
            form = await _form(request)
            hub_request = await self.check(form)
        except HubRequestError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        task = asyncio.create_task(self.verify(hub_request), name="accord-websub-verify")
        self._verifications.add(task)
        task.add_done_callback(self._verifications.discard)
        return PlainTextResponse(
            "accepted: the hub now verifies the request with the callback", status_code=202
        )

    async def check(self, form: dict[str, str]) -> HubRequest:
        mode = form.get("hub.mode")
        if mode not in ("subscribe", "unsubscribe"):
            raise HubRequestError("hub.mode must be subscribe or unsubscribe", "hub.mode")
        topic, callback = form.get("hub.topic"), form.get("hub.callback")
        if not topic:
            raise HubRequestError("hub.topic is required: the URL of one of this server's feeds", "hub.topic")
        if not callback:
            raise HubRequestError("hub.callback is required", "hub.callback")
        try:
            criteria = criteria_of(topic, self.settings.public_url, self.topics.feeds)
        except NotATopic as exc:
            raise HubRequestError(str(exc), "hub.topic") from None
        if mode == "subscribe" and await self.topics.render(topic) is None:
            raise HubRequestError("hub.topic is not a feed this server serves", "hub.topic")
        try:
            await check_url(
                callback,
                production=self.settings.is_production,
                allow_private=self.settings.webhook_allow_private,
            )
        except UnsafeURL as exc:
            raise HubRequestError(f"hub.callback: the URL {exc}", "hub.callback") from None
        most = self.settings.websub_lease_seconds
        lease = most
        raw_lease = form.get("hub.lease_seconds")
        if raw_lease:
            if not LEASE_RE.fullmatch(raw_lease) or int(raw_lease) < 1:
                raise HubRequestError(
                    "hub.lease_seconds must be a whole number of seconds, 1 or more", "hub.lease_seconds"
                )
            lease = min(int(raw_lease), most)
        secret = form.get("hub.secret") or None
        if secret is not None and len(secret.encode()) > MAX_SECRET_BYTES:
            raise HubRequestError(
                f"hub.secret must be less than 200 bytes (got {len(secret.encode())})", "hub.secret"
            )
        return HubRequest(mode, topic, callback, lease, secret, criteria)

    async def verify(self, hub_request: HubRequest) -> None:
        """Verification of intent; records the outcome (errors are logged, never raised)."""
        try:
            await self.verify_and_record(hub_request)
        except Exception:
            log.exception("WebSub verification of %s failed", hub_request.callback)

    async def verify_and_record(self, hub_request: HubRequest, time_limit: float | None = None) -> str | None:
        """Verify intent now and record the outcome; returns None when the subscriber confirmed,
        else why not (the GraphQL admin API waits for it, within ``time_limit`` seconds)."""
        reason = await self._ask(hub_request, time_limit)
        async with self.transaction() as conn:
            await self._record(conn, hub_request, reason)
        return reason

    async def _ask(self, hub_request: HubRequest, time_limit: float | None = None) -> str | None:
        """None when the subscriber confirmed, else why not."""
        challenge = secrets.token_urlsafe(24)
        params = {"hub.mode": hub_request.mode, "hub.topic": hub_request.topic, "hub.challenge": challenge}
        if hub_request.mode == "subscribe":
            params["hub.lease_seconds"] = str(hub_request.lease_seconds)
        answer = await self.sender.request("GET", hub_request.callback, params=params, time_limit=time_limit)
        if not answer.ok:
            return f"verification of intent failed: {answer.describe()}"
        if answer.text.strip() != challenge:
            return "verification of intent failed: the callback did not echo hub.challenge"
        return None

    async def _record(self, conn: AsyncConnection, hub_request: HubRequest, reason: str | None) -> None:
        now = utcnow()
        key = hub_request.key
        existing = (await conn.execute(select(subscriptions).where(subscriptions.c.key == key))).first()
        if hub_request.mode == "unsubscribe":
            if reason is None and existing is not None:
                await conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.key == key)
                    .values(state="unsubscribed", state_reason="the subscriber unsubscribed", updated_at=now)
                )
                await conn.execute(
                    update(deliveries)
                    .where(deliveries.c.subscription_id == existing.id, deliveries.c.status == PENDING)
                    .values(status=CANCELLED, last_error="not sent: unsubscribed")
                )
            return
        if reason is not None:
            log.warning("WebSub subscription to %s refused: %s", hub_request.topic, reason)
            if existing is None:
                await conn.execute(
                    insert(subscriptions).values(
                        **_row(hub_request, now), state="failed", state_reason=reason
                    )
                )
            elif existing.state != ACTIVE:
                await conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.key == key)
                    .values(state="failed", state_reason=reason, updated_at=now)
                )
            return
        values = _row(hub_request, now) | {
            "state": ACTIVE,
            "state_reason": None,
            "lease_expires_at": now + timedelta(seconds=hub_request.lease_seconds),
        }
        if existing is None:
            await conn.execute(insert(subscriptions).values(**values))
        else:
            values.pop("created_at")
            await conn.execute(update(subscriptions).where(subscriptions.c.key == key).values(**values))


def _row(hub_request: HubRequest, now: Any) -> dict[str, Any]:
    return {
        "key": hub_request.key,
        "topic": hub_request.topic,
        "callback": hub_request.callback,
        "secret": hub_request.secret,
        "criteria": hub_request.criteria,
        "lease_seconds": hub_request.lease_seconds,
        "created_at": now,
        "updated_at": now,
    }


async def _form(request: Request) -> dict[str, str]:
    """The form fields of a subscription request (the first of each), read with a size cap."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise HubRequestError("send the request as application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            raise HubRequestError(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise HubRequestError("the request is not a valid form") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form

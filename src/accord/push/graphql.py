"""The webhook admin API in GraphQL: root fields that wrap the plain functions of ``accord.push.admin``.

The schema package knows nothing of push delivery: ``PushFields`` gives its Query and Mutation
fields to ``accord.schema.build_schema`` when ``accord.services`` builds the schema. Every field is
for admins (``manage_webhooks``); a bad value is a BAD_USER_INPUT error whose ``extensions.field``
names the input field (``input.url``, ``input.events[1]``), an unknown id NOT_FOUND. Ids are the
numbers ``accord webhook list`` and ``accord webhook deliveries`` show.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from accord.core.auth import Viewer, require
from accord.core.errors import BadInput, NotFound
from accord.core.numbers import parse_natural
from accord.models.columns import copy_into
from accord.push.admin import (
    KEEP,
    DeliveryView,
    Keep,
    PushAdmin,
    SubscriptionView,
    WebhookView,
    create_webhook,
    delete_webhook,
    get_subscription,
    get_webhook,
    list_deliveries,
    list_subscriptions,
    list_webhooks,
    replay_delivery,
    send_test,
    update_webhook,
)
from accord.push.events import CATALOGUE
from accord.push.websub import HubRequestError, WebSubHub
from accord.schema.types import Info

ACTION = "manage_webhooks"
EVENTS_DESCRIPTION = "Event types: " + ", ".join(CATALOGUE) + " (docs/webhooks.md)."
# The form fields of a WebSub request, by the input field that carries them in subscribeWebSub.
HUB_PARAMS = {
    "hub.topic": "input.topic",
    "hub.callback": "input.callback",
    "hub.lease_seconds": "input.leaseSeconds",
    "hub.secret": "input.secret",
}


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"


@strawberry.type(description="One event sent (or to be sent) to one webhook endpoint. Admins only.")
class WebhookDelivery:
    id: strawberry.ID
    webhook_id: str = strawberry.field(
        description="The webhook-id header: the same on every attempt and on a replay."
    )
    event_type: str
    change_id: int | None = strawberry.field(description="The change-log id of the write that caused it.")
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = strawberry.field(description="While PENDING: when it is tried next.")
    last_status_code: int | None = strawberry.field(description="The HTTP status of the last answer.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed, when it did.")
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, view: DeliveryView) -> WebhookDelivery:
        return copy_into(cls, view, id=strawberry.ID(str(view.id)), status=WebhookDeliveryStatus(view.status))


@strawberry.type(description="An endpoint that receives signed webhook calls. Admins only.")
class Webhook:
    id: strawberry.ID
    url: str
    events: list[str] = strawberry.field(description=EVENTS_DESCRIPTION)
    partner: str | None = strawberry.field(description="Only content about this partner (a slug).")
    tag: str | None = strawberry.field(description="Only content with this tag.")
    description: str | None
    enabled: bool
    consecutive_failures: int = strawberry.field(description="Failed attempts in a row.")
    disabled_reason: str | None = strawberry.field(description="Why accord disabled it, when it did.")
    created_at: datetime
    updated_at: datetime
    admin: strawberry.Private[PushAdmin]

    @classmethod
    def of(cls, view: WebhookView, admin: PushAdmin) -> Webhook:
        return copy_into(cls, view, id=strawberry.ID(str(view.id)), admin=admin)

    @strawberry.field(description="Its most recent deliveries, newest first (first: 1 to 200).")
    async def deliveries(
        self, info: Info, status: WebhookDeliveryStatus | None = None, first: int | None = 20
    ) -> list[WebhookDelivery]:
        views = await list_deliveries(
            self.admin,
            info.context.viewer,
            int(self.id),
            status=None if status is None else status.value,
            first=20 if first is None else first,
        )
        return [WebhookDelivery.of(view) for view in views]


@strawberry.type(description="A new webhook endpoint and its signing secret, shown this once.")
class CreatedWebhook:
    webhook: Webhook
    secret: str = strawberry.field(description="whsec_...: verify the webhook-signature header with it.")


@strawberry.type(description="A WebSub subscriber of one of this server's feeds. Admins only.")
class WebSubSubscription:
    id: strawberry.ID
    topic: str
    callback: str
    state: str = strawberry.field(description="pending, active, failed, expired, unsubscribed or gone.")
    state_reason: str | None
    lease_expires_at: datetime | None
    signed: bool = strawberry.field(
        description="Distributions carry X-Hub-Signature (a hub.secret was given)."
    )

    @classmethod
    def of(cls, view: SubscriptionView) -> WebSubSubscription:
        return copy_into(cls, view, id=strawberry.ID(str(view.id)))


@strawberry.input(description="A webhook endpoint to register.")
class WebhookInput:
    url: str = strawberry.field(description="https:// in production; checked against private addresses.")
    events: list[str] = strawberry.field(description=EVENTS_DESCRIPTION)
    partner: str | None = None
    tag: str | None = None
    description: str | None = None
    secret: str | None = strawberry.field(
        default=None, description="A whsec_ secret of your own (24 to 64 bytes); default: a new one."
    )
    enabled: bool = True


@strawberry.input(description="What to change in a webhook endpoint; a field left out stays as it is.")
class WebhookPatch:
    url: str | None = strawberry.UNSET
    events: list[str] | None = strawberry.UNSET
    partner: str | None = strawberry.field(default=strawberry.UNSET, description="null: any partner.")
    tag: str | None = strawberry.field(default=strawberry.UNSET, description="null: any tag.")
    description: str | None = strawberry.UNSET
    enabled: bool | None = strawberry.field(
        default=strawberry.UNSET, description="true also clears its failure count and disabled reason."
    )


@strawberry.input(description="A WebSub subscription, made as POST /websub makes one, but verified at once.")
class WebSubSubscriptionInput:
    topic: str = strawberry.field(description="The URL of one of this server's feeds.")
    callback: str
    lease_seconds: int | None = None
    secret: str | None = strawberry.field(default=None, description="hub.secret: less than 200 bytes.")


def _id(value: str, field: str) -> int:
    number = parse_natural(value)
    if not number:
        raise BadInput(f"{field}: not an id of this list (a whole number, 1 or more)", field=field)
    return number


def _given(value: Any, field: str) -> Any:
    """A patch's value: KEEP when left out; null is refused for fields that cannot be empty."""
    if value is strawberry.UNSET:
        return KEEP
    if value is None:
        raise BadInput(f"{field}: give a value, or leave the field out to keep it", field=field)
    return value


def _clearable(value: Any) -> Any:
    return KEEP if value is strawberry.UNSET else value


def _admin(info: Info) -> Viewer:
    return require(info.context.viewer, ACTION)


class PushFields:
    """The webhook admin API's root fields, for ``build_schema(query_fields=..., mutation_fields=...)``."""

    def __init__(self, admin: PushAdmin, hub: WebSubHub) -> None:
        self.admin = admin
        self.hub = hub
        settings = admin.settings
        # A GraphQL operation must answer within its execution timeout: verification waits less.
        self.verify_timeout = min(settings.webhook_timeout_seconds, settings.execution_timeout_seconds / 2)

    def query_fields(self) -> dict[str, Any]:
        admin = self.admin

        async def webhooks(info: Info) -> list[Webhook]:
            return [Webhook.of(view, admin) for view in await list_webhooks(admin, _admin(info))]

        async def webhook(info: Info, id: strawberry.ID) -> Webhook | None:
            viewer = _admin(info)
            try:
                return Webhook.of(await get_webhook(admin, viewer, _id(id, "id")), admin)
            except NotFound:
                return None

        async def web_sub_subscriptions(info: Info) -> list[WebSubSubscription]:
            return [WebSubSubscription.of(view) for view in await list_subscriptions(admin, _admin(info))]

        return {
            "webhooks": strawberry.field(
                resolver=webhooks, description="Webhook endpoints, oldest first. Admins only."
            ),
            "webhook": strawberry.field(resolver=webhook, description="One webhook endpoint. Admins only."),
            "webSubSubscriptions": strawberry.field(
                resolver=web_sub_subscriptions,
                description="WebSub subscriptions in every state. Admins only.",
            ),
        }

    def mutation_fields(self) -> dict[str, Any]:
        admin, hub = self.admin, self.hub

        async def create(info: Info, input: WebhookInput) -> CreatedWebhook:
            # WebhookInput's fields are create_webhook's keyword arguments, by name.
            created = await create_webhook(admin, _admin(info), **asdict(input))
            return CreatedWebhook(webhook=Webhook.of(created.webhook, admin), secret=created.secret)

        async def update(info: Info, id: strawberry.ID, input: WebhookPatch) -> Webhook:
            viewer = _admin(info)
            url: str | Keep = _given(input.url, "input.url")
            events: list[str] | Keep = _given(input.events, "input.events")
            enabled: bool | Keep = _given(input.enabled, "input.enabled")
            view = await update_webhook(
                admin,
                viewer,
                _id(id, "id"),
                url=url,
                events=events,
                partner=_clearable(input.partner),
                tag=_clearable(input.tag),
                description=_clearable(input.description),
                enabled=enabled,
            )
            return Webhook.of(view, admin)

        async def delete(info: Info, id: strawberry.ID) -> strawberry.ID:
            viewer = _admin(info)
            return strawberry.ID(str(await delete_webhook(admin, viewer, _id(id, "id"))))

        async def test(info: Info, id: strawberry.ID) -> WebhookDelivery:
            viewer = _admin(info)
            return WebhookDelivery.of(await send_test(admin, viewer, _id(id, "id")))

        async def replay(info: Info, delivery_id: strawberry.ID) -> WebhookDelivery:
            viewer = _admin(info)
            return WebhookDelivery.of(await replay_delivery(admin, viewer, _id(delivery_id, "deliveryId")))

        async def subscribe(info: Info, input: WebSubSubscriptionInput) -> WebSubSubscription:
            viewer = _admin(info)
            form = {"hub.mode": "subscribe", "hub.topic": input.topic, "hub.callback": input.callback}
            if input.lease_seconds is not None:
                form["hub.lease_seconds"] = str(input.lease_seconds)
            if input.secret is not None:
                form["hub.secret"] = input.secret
            try:
                request = await hub.check(form)
            except HubRequestError as exc:
                field = HUB_PARAMS.get(exc.param or "", "input")
                why = str(exc).removeprefix(f"{exc.param}: ")
                raise BadInput(f"{field}: {why}", field=field) from None
            refusal = await hub.verify_and_record(request, time_limit=self.verify_timeout)
            if refusal is not None:
                raise BadInput(f"input.callback: {refusal}", field="input.callback")
            view = await get_subscription(admin, viewer, request.key)
            assert view is not None, "the subscription was just recorded"
            return WebSubSubscription.of(view)

        return {
            "createWebhook": strawberry.mutation(
                resolver=create,
                description=(
                    "Register a webhook endpoint; its secret is in the answer, only there. Admins only."
                ),
            ),
            "updateWebhook": strawberry.mutation(resolver=update, description="Admins only."),
            "deleteWebhook": strawberry.mutation(
                resolver=delete,
                description="Remove an endpoint and its deliveries; returns its id. Admins only.",
            ),
            "testWebhook": strawberry.mutation(
                resolver=test, description="Queue a signed webhook.test event to the endpoint. Admins only."
            ),
            "replayWebhookDelivery": strawberry.mutation(
                resolver=replay,
                description=(
                    "Send a FAILED or CANCELLED delivery again: same webhook-id and body, attempts "
                    "from zero. Admins only."
                ),
            ),
            "subscribeWebSub": strawberry.mutation(
                resolver=subscribe,
                description=(
                    "Subscribe a callback to a feed, verifying intent before answering (POST /websub "
                    "verifies after answering 202). Admins only."
                ),
            ),
        }

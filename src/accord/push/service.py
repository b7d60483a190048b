"""What an ``accord serve`` process runs for push delivery: the deliverer and the WebSub hub."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.routing import Route

from accord.feeds.endpoints import FeedEndpoints
from accord.push.admin import PushAdmin
from accord.push.deliverer import Deliverer
from accord.push.sender import Sender
from accord.push.topics import TopicFeeds
from accord.push.websub import WebSubHub
from accord.settings import Settings


class PushService:
    def __init__(
        self,
        settings: Settings,
        *,
        engine: AsyncEngine,
        poll_engine: AsyncEngine | None = None,
        transaction: Callable[[], AbstractAsyncContextManager[AsyncConnection]],
        instance: str,
        version_changed: asyncio.Condition | None = None,
    ) -> None:
        self.settings = settings
        self.sender = Sender(
            timeout=settings.webhook_timeout_seconds,
            production=settings.is_production,
            allow_private=settings.webhook_allow_private,
            connections=max(100, settings.webhook_concurrency),
        )
        # The feeds of the primary: a distribution must show the write that caused it.
        self.topics = TopicFeeds(FeedEndpoints.from_settings(settings, engine))
        self.deliverer = Deliverer(
            settings,
            engine=poll_engine or engine,  # is anything due? (the application's: its own connections)
            transaction=transaction,
            sender=self.sender,
            topics=self.topics,
            instance=instance,
            version_changed=version_changed,
        )
        self.hub = WebSubHub(settings, transaction=transaction, sender=self.sender, topics=self.topics)
        self.admin = PushAdmin(engine, settings, transaction, self.deliverer.wake)

    def routes(self) -> list[Route]:
        return [Route("/websub", self.hub.handle, methods=["POST"])]

    async def start(self) -> None:
        await self.deliverer.start()

    async def close(self) -> None:
        await self.hub.close()
        await self.deliverer.stop()
        await self.sender.close()

"""The per-request context every resolver receives: database access, DataLoaders, locale, viewer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from accord.auth import Viewer
from accord.models.enums import Locale
from accord.operation.prepare import Prepared
from accord.resolvers import relations
from accord.resolvers.db import Reader
from accord.resolvers.visibility import PUBLIC, Visibility

T = TypeVar("T")
BatchFn = Callable[[Reader, Sequence[int], tuple[str, ...]], Awaitable[list[T]]]


def _loader(db: Reader, visibility: Visibility, batch: BatchFn[T]) -> DataLoader[int, T]:
    async def load(keys: list[int]) -> list[T]:
        return await batch(db, keys, visibility.statuses)

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    """One DataLoader per relation, per request: each relation costs one query per request level."""

    db: Reader
    visibility: Visibility

    def __post_init__(self) -> None:
        db, v = self.db, self.visibility
        self.event_partners = _loader(db, v, relations.partners_of_events)
        self.event_agreements = _loader(db, v, relations.agreements_of_events)
        self.event_exhibits = _loader(db, v, relations.exhibits_of_events)
        self.agreement_parties = _loader(db, v, relations.parties_of_agreements)
        self.agreement_events = _loader(db, v, relations.events_of_agreements)
        self.agreement_exhibits = _loader(db, v, relations.exhibits_of_agreements)
        self.partner_agreements = _loader(db, v, relations.agreements_of_partners)
        self.exhibit_events = _loader(db, v, relations.events_of_exhibits)
        self.exhibit_agreements = _loader(db, v, relations.agreements_of_exhibits)
        self.partner = _loader(db, v, relations.partners_by_id)

        async def tags(keys: list[int]) -> list[list[str]]:
            return await relations.tags_of_events(db, keys)

        self.event_tags: DataLoader[int, list[str]] = DataLoader(load_fn=tags)


@dataclass
class Context:
    db: Reader
    locale: Locale = Locale.EN
    visibility: Visibility = PUBLIC
    request: Any = None
    viewer: Viewer | None = None
    services: Any = None
    extras: dict[str, Any] = field(default_factory=dict)
    # The document being run, as accord.operation prepared it (strawberry reuses it).
    prepared: Prepared | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.visibility)

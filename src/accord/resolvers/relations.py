"""Batch loads of every relation: one query for all the parents of a request (DataLoader targets)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, select

from accord.resolvers.db import (
    Reader,
    agreement_party,
    agreements,
    event_agreement,
    event_exhibit,
    event_partner,
    event_tag,
    events,
    exhibit_agreement,
    exhibits,
    fetch_all,
    partners,
)


async def _linked(
    db: Reader,
    owners: Sequence[int],
    statuses: tuple[str, ...],
    *,
    link: Table,
    own_column: str,
    target_column: str,
    target: Table,
    order: ColumnElement[Any],
) -> list[list[Any]]:
    owner = link.c[own_column]
    query = (
        select(owner.label("owner_id"), target)
        .join(target, target.c.id == link.c[target_column])
        .where(owner.in_(owners), target.c.status.in_(statuses))
        .order_by(owner, order, target.c.id)
    )
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in await fetch_all(db, query):
        grouped[row.owner_id].append(row)
    return [grouped.get(owner_id, []) for owner_id in owners]


async def partners_of_events(db: Reader, ids: Sequence[int], statuses: tuple[str, ...]) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=event_partner,
        own_column="event_id",
        target_column="partner_id",
        target=partners,
        order=event_partner.c.partner_id,
    )


async def agreements_of_events(db: Reader, ids: Sequence[int], statuses: tuple[str, ...]) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=event_agreement,
        own_column="event_id",
        target_column="agreement_id",
        target=agreements,
        order=event_agreement.c.agreement_id,
    )


async def exhibits_of_events(db: Reader, ids: Sequence[int], statuses: tuple[str, ...]) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=event_exhibit,
        own_column="event_id",
        target_column="exhibit_id",
        target=exhibits,
        order=event_exhibit.c.exhibit_id,
    )


async def parties_of_agreements(db: Reader, ids: Sequence[int], statuses: tuple[str, ...]) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=agreement_party,
        own_column="agreement_id",
        target_column="partner_id",
        target=partners,
        order=agreement_party.c.partner_id,
    )


async def events_of_agreements(db: Reader, ids: Sequence[int], statuses: tuple[str, ...]) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=event_agreement,
        own_column="agreement_id",
        target_column="event_id",
        target=events,
        order=events.c.sort_key,
    )


async def exhibits_of_agreements(
    db: Reader, ids: Sequence[int], statuses: tuple[str, ...]
) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=exhibit_agreement,
        own_column="agreement_id",
        target_column="exhibit_id",
        target=exhibits,
        order=exhibit_agreement.c.exhibit_id,
    )


async def agreements_of_partners(
    db: Reader, ids: Sequence[int], statuses: tuple[str, ...]
) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=agreement_party,
        own_column="partner_id",
        target_column="agreement_id",
        target=agreements,
        order=agreement_party.c.agreement_id,
    )


async def events_of_exhibits(db: Reader, ids: Sequence[int], statuses: tuple[str, ...]) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=event_exhibit,
        own_column="exhibit_id",
        target_column="event_id",
        target=events,
        order=events.c.sort_key,
    )


async def agreements_of_exhibits(
    db: Reader, ids: Sequence[int], statuses: tuple[str, ...]
) -> list[list[Any]]:
    return await _linked(
        db,
        ids,
        statuses,
        link=exhibit_agreement,
        own_column="exhibit_id",
        target_column="agreement_id",
        target=agreements,
        order=exhibit_agreement.c.agreement_id,
    )


async def partners_by_id(db: Reader, ids: Sequence[int], statuses: tuple[str, ...]) -> list[Any | None]:
    rows = await fetch_all(
        db, select(partners).where(partners.c.id.in_(ids), partners.c.status.in_(statuses))
    )
    by_id = {row.id: row for row in rows}
    return [by_id.get(id_) for id_ in ids]


async def tags_of_events(db: Reader, ids: Sequence[int]) -> list[list[str]]:
    query = (
        select(event_tag.c.event_id, event_tag.c.tag)
        .where(event_tag.c.event_id.in_(ids))
        .order_by(event_tag.c.event_id, event_tag.c.position, event_tag.c.tag)
    )
    grouped: dict[int, list[str]] = defaultdict(list)
    for event_id, tag in await fetch_all(db, query):
        grouped[event_id].append(tag)
    return [grouped.get(id_, []) for id_ in ids]

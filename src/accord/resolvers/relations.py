"""Batch loads of every relation: one query for all the parents of a request (DataLoader targets).

Each relation is described once (``RELATIONS``); the DataLoaders load whole rows, the fast path
only the columns its selection needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, select

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


@dataclass(frozen=True, eq=False)  # hashed by identity: it keys a statement cache
class Relation:
    link: Table
    own_column: str
    target_column: str
    target: Table
    order: ColumnElement[Any]  # the order of the linked rows under one owner (before the id)


RELATIONS = {
    ("Event", "partners"): Relation(
        event_partner, "event_id", "partner_id", partners, event_partner.c.partner_id
    ),
    ("Event", "agreements"): Relation(
        event_agreement, "event_id", "agreement_id", agreements, event_agreement.c.agreement_id
    ),
    ("Event", "exhibits"): Relation(
        event_exhibit, "event_id", "exhibit_id", exhibits, event_exhibit.c.exhibit_id
    ),
    ("Agreement", "parties"): Relation(
        agreement_party, "agreement_id", "partner_id", partners, agreement_party.c.partner_id
    ),
    ("Agreement", "events"): Relation(event_agreement, "agreement_id", "event_id", events, events.c.sort_key),
    ("Agreement", "exhibits"): Relation(
        exhibit_agreement, "agreement_id", "exhibit_id", exhibits, exhibit_agreement.c.exhibit_id
    ),
    ("Partner", "agreements"): Relation(
        agreement_party, "partner_id", "agreement_id", agreements, agreement_party.c.agreement_id
    ),
    ("Exhibit", "events"): Relation(event_exhibit, "exhibit_id", "event_id", events, events.c.sort_key),
    ("Exhibit", "agreements"): Relation(
        exhibit_agreement, "exhibit_id", "agreement_id", agreements, exhibit_agreement.c.agreement_id
    ),
}


@lru_cache(maxsize=256)
def _linked_query(relation: Relation, columns: tuple[str, ...] | None) -> Select[Any]:
    """The statement for one relation and column set, built once: building a Select is a good part
    of a small query's cost, and only the bound owner ids and statuses change between calls."""
    owner = relation.link.c[relation.own_column]
    target = relation.target
    selected = [target] if columns is None else [target.c[name] for name in columns]
    return (
        select(owner.label("owner_id"), *selected)
        .join(target, target.c.id == relation.link.c[relation.target_column])
        .where(
            owner.in_(bindparam("owners", expanding=True)),
            target.c.status.in_(bindparam("statuses", expanding=True)),
        )
        .order_by(owner, relation.order, target.c.id)
    )


async def load_linked(
    db: Reader,
    relation: Relation,
    owners: Sequence[int],
    statuses: tuple[str, ...],
    columns: Sequence[str] | None = None,
) -> list[list[Any]]:
    """For each owner id, its visible linked rows (all columns, or only ``columns``), in order."""
    query = _linked_query(relation, None if columns is None else tuple(columns))
    grouped: dict[int, list[Any]] = defaultdict(list)
    result = await db.execute(query, {"owners": list(owners), "statuses": list(statuses)})
    for row in result.all():
        grouped[row.owner_id].append(row)
    return [grouped.get(owner_id, []) for owner_id in owners]


def _loader_of(type_name: str, field: str) -> Any:
    relation = RELATIONS[type_name, field]

    async def load(db: Reader, ids: Sequence[int], statuses: tuple[str, ...]) -> list[list[Any]]:
        return await load_linked(db, relation, ids, statuses)

    return load


partners_of_events = _loader_of("Event", "partners")
agreements_of_events = _loader_of("Event", "agreements")
exhibits_of_events = _loader_of("Event", "exhibits")
parties_of_agreements = _loader_of("Agreement", "parties")
events_of_agreements = _loader_of("Agreement", "events")
exhibits_of_agreements = _loader_of("Agreement", "exhibits")
agreements_of_partners = _loader_of("Partner", "agreements")
events_of_exhibits = _loader_of("Exhibit", "events")
agreements_of_exhibits = _loader_of("Exhibit", "agreements")


async def partners_by_id(
    db: Reader, ids: Sequence[int], statuses: tuple[str, ...], columns: Sequence[str] | None = None
) -> list[Any | None]:
    selected = [partners] if columns is None else [partners.c[name] for name in columns]
    rows = await fetch_all(
        db, select(*selected).where(partners.c.id.in_(ids), partners.c.status.in_(statuses))
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

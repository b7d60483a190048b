"""The contract's filter inputs as plain values, and the SQL conditions they mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select

from accord.core.text import check_argument
from accord.resolvers.db import (
    agreement_party,
    agreements,
    event_partner,
    event_tag,
    events,
    exhibits,
    partners,
)
from accord.resolvers.errors import BadInput
from accord.search.query import matching_ids


def check_year_range(year_from: int | None, year_to: int | None, *, prefix: str = "filter") -> None:
    for name, value in (("yearFrom", year_from), ("yearTo", year_to)):
        if value is not None and not 1 <= value <= 9999:
            raise BadInput(f"{prefix}.{name} must be a year between 1 and 9999", field=f"{prefix}.{name}")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadInput(
            f"impossible year range: {prefix}.yearFrom ({year_from}) is after {prefix}.yearTo ({year_to})",
            field=f"{prefix}.yearFrom",
        )


@dataclass(frozen=True, slots=True)
class EventFilter:
    year_from: int | None = None
    year_to: int | None = None
    partner: str | None = None
    kind: str | None = None
    tag: str | None = None
    milestones_only: bool | None = None
    text: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class PartnerFilter:
    kind: str | None = None
    country: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AgreementFilter:
    kind: str | None = None
    partner: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ExhibitFilter:
    kind: str | None = None
    partner: str | None = None
    text: str | None = None


def _partner_id_by_slug(slug: str) -> Any:
    check_argument(slug, "filter.partner")
    named = partners.alias("filter_partner")
    return select(named.c.id).where(named.c.slug == slug).scalar_subquery()


def event_conditions(
    f: EventFilter | None, statuses: tuple[str, ...], dialect: str
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [events.c.status.in_(statuses)]
    if f is None:
        return conditions
    check_year_range(f.year_from, f.year_to)
    if f.year_from is not None:
        # A period counts for every year it spans.
        conditions.append(func.coalesce(events.c.end_year, events.c.year) >= f.year_from)
    if f.year_to is not None:
        conditions.append(events.c.year <= f.year_to)
    if f.partner is not None:
        # An alias: the outer query may join event_partner itself (a partner's events), and the
        # subquery must not correlate to that join.
        linked = event_partner.alias("filter_partner_link")
        conditions.append(
            exists()
            .where(linked.c.event_id == events.c.id, linked.c.partner_id == _partner_id_by_slug(f.partner))
            .correlate(events)
        )
    if f.kind is not None:
        conditions.append(events.c.kind == f.kind)
    if f.tag is not None:
        check_argument(f.tag, "filter.tag")
        tagged = event_tag.alias("filter_tag")
        conditions.append(
            exists().where(tagged.c.event_id == events.c.id, tagged.c.tag == f.tag).correlate(events)
        )
    if f.milestones_only:
        conditions.append(events.c.is_milestone.is_(True))
    if f.text is not None:
        conditions.append(events.c.id.in_(matching_ids(dialect, f.text, statuses, "event", "filter.text")))
    if f.status is not None:
        conditions.append(events.c.status == f.status)
    return conditions


def partner_conditions(
    f: PartnerFilter | None, statuses: tuple[str, ...], dialect: str
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [partners.c.status.in_(statuses)]
    if f is None:
        return conditions
    if f.kind is not None:
        conditions.append(partners.c.kind == f.kind)
    if f.country is not None:
        check_argument(f.country, "filter.country")
        conditions.append(partners.c.country == f.country.upper())
    if f.text is not None:
        conditions.append(
            partners.c.id.in_(matching_ids(dialect, f.text, statuses, "partner", "filter.text"))
        )
    return conditions


def agreement_conditions(
    f: AgreementFilter | None, statuses: tuple[str, ...], dialect: str
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [agreements.c.status.in_(statuses)]
    if f is None:
        return conditions
    check_year_range(f.year_from, f.year_to)
    if f.kind is not None:
        conditions.append(agreements.c.kind == f.kind)
    if f.partner is not None:
        conditions.append(
            exists().where(
                agreement_party.c.agreement_id == agreements.c.id,
                agreement_party.c.partner_id == _partner_id_by_slug(f.partner),
            )
        )
    if f.year_from is not None:
        conditions.append(agreements.c.signed_year >= f.year_from)
    if f.year_to is not None:
        conditions.append(agreements.c.signed_year <= f.year_to)
    if f.text is not None:
        conditions.append(
            agreements.c.id.in_(matching_ids(dialect, f.text, statuses, "agreement", "filter.text"))
        )
    return conditions


def exhibit_conditions(
    f: ExhibitFilter | None, statuses: tuple[str, ...], dialect: str
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [exhibits.c.status.in_(statuses)]
    if f is None:
        return conditions
    if f.kind is not None:
        conditions.append(exhibits.c.kind == f.kind)
    if f.partner is not None:
        conditions.append(exhibits.c.origin_id == _partner_id_by_slug(f.partner))
    if f.text is not None:
        conditions.append(
            exhibits.c.id.in_(matching_ids(dialect, f.text, statuses, "exhibit", "filter.text"))
        )
    return conditions

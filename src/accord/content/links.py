"""Which document fields become which link rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LinkSpec:
    section: str  # the section whose records carry the field
    field: str  # the record field: a list of slugs
    table: str  # the link table
    own_column: str
    target_column: str
    target_section: str


LINKS: tuple[LinkSpec, ...] = (
    LinkSpec("agreements", "parties", "agreement_party", "agreement_id", "partner_id", "partners"),
    LinkSpec("exhibits", "agreements", "exhibit_agreement", "exhibit_id", "agreement_id", "agreements"),
    LinkSpec("events", "partners", "event_partner", "event_id", "partner_id", "partners"),
    LinkSpec("events", "agreements", "event_agreement", "event_id", "agreement_id", "agreements"),
    LinkSpec("events", "exhibits", "event_exhibit", "event_id", "exhibit_id", "exhibits"),
)


def links_of(section: str) -> tuple[LinkSpec, ...]:
    return tuple(spec for spec in LINKS if spec.section == section)

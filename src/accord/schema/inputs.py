"""The contract's filter inputs, converted to the resolvers' plain dataclasses."""

from __future__ import annotations

import strawberry

from accord.resolvers import filters
from accord.schema.enums import AgreementKind, EventKind, ExhibitKind, PartnerKind, Status


@strawberry.input
class EventFilter:
    year_from: int | None = None
    year_to: int | None = None
    partner: str | None = strawberry.field(default=None, description="Partner slug.")
    kind: EventKind | None = None
    tag: str | None = None
    milestones_only: bool | None = None
    text: str | None = strawberry.field(
        default=None, description="Full-text match over title, summary and places, in every locale."
    )
    status: Status | None = strawberry.field(
        default=None, description="Only for token holders: anonymous readers see published events only."
    )

    def to_filter(self) -> filters.EventFilter:
        return filters.EventFilter(
            year_from=self.year_from,
            year_to=self.year_to,
            partner=self.partner,
            kind=self.kind.value if self.kind else None,
            tag=self.tag,
            milestones_only=self.milestones_only,
            text=self.text,
            status=self.status.value if self.status else None,
        )


@strawberry.input
class PartnerFilter:
    kind: PartnerKind | None = None
    country: str | None = None
    text: str | None = None

    def to_filter(self) -> filters.PartnerFilter:
        return filters.PartnerFilter(
            kind=self.kind.value if self.kind else None, country=self.country, text=self.text
        )


@strawberry.input
class AgreementFilter:
    kind: AgreementKind | None = None
    partner: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    text: str | None = None

    def to_filter(self) -> filters.AgreementFilter:
        return filters.AgreementFilter(
            kind=self.kind.value if self.kind else None,
            partner=self.partner,
            year_from=self.year_from,
            year_to=self.year_to,
            text=self.text,
        )


@strawberry.input
class ExhibitFilter:
    kind: ExhibitKind | None = None
    partner: str | None = None
    text: str | None = None

    def to_filter(self) -> filters.ExhibitFilter:
        return filters.ExhibitFilter(
            kind=self.kind.value if self.kind else None, partner=self.partner, text=self.text
        )

"""The contract's enums: the plain Python enums the rest of the code uses, registered with strawberry.

``strawberry.enum`` marks the class in place, so resolvers and the schema share one set of values.
"""

from __future__ import annotations

import strawberry

from accord.dates import DatePrecision
from accord.models.enums import AgreementKind, EventKind, ExhibitKind, Locale, PartnerKind, Status
from accord.resolvers.content import EventOrder, PartnerOrder

strawberry.enum(
    Locale, description="Content languages. Localized fields fall back to EN when a translation is missing."
)
for _enum in (
    Status,
    EventKind,
    PartnerKind,
    AgreementKind,
    ExhibitKind,
    DatePrecision,
    EventOrder,
    PartnerOrder,
):
    strawberry.enum(_enum)

__all__ = [
    "AgreementKind",
    "DatePrecision",
    "EventKind",
    "EventOrder",
    "ExhibitKind",
    "Locale",
    "PartnerKind",
    "PartnerOrder",
    "Status",
]

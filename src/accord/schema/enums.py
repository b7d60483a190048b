"""The contract's enums, exposed from the plain Python enums the rest of the code uses."""

from __future__ import annotations

import strawberry

from accord.dates import DatePrecision as _DatePrecision
from accord.models import enums as model_enums
from accord.resolvers.content import EventOrder as _EventOrder
from accord.resolvers.content import PartnerOrder as _PartnerOrder

Locale = strawberry.enum(model_enums.Locale, description="Content languages. Localized fields fall back to EN when a translation is missing.")
Status = strawberry.enum(model_enums.Status)
EventKind = strawberry.enum(model_enums.EventKind)
PartnerKind = strawberry.enum(model_enums.PartnerKind)
AgreementKind = strawberry.enum(model_enums.AgreementKind)
ExhibitKind = strawberry.enum(model_enums.ExhibitKind)
DatePrecision = strawberry.enum(_DatePrecision)
EventOrder = strawberry.enum(_EventOrder)
PartnerOrder = strawberry.enum(_PartnerOrder)

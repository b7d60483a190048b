"""The contract's enums: the plain Python enums the rest of the code uses, registered with strawberry.

``strawberry.enum`` marks the class in place, so resolvers and the schema share one set of values.
The lists' order enums (``EventOrder``, ``PartnerOrder``) are made from the content model.
"""

from __future__ import annotations

import strawberry

from accord.content.model import ROOT_ORDER
from accord.core.dates import DatePrecision
from accord.media.formats import VariantFormat
from accord.models.enums import AgreementKind, EventKind, ExhibitKind, Locale, PartnerKind, Status

strawberry.enum(
    Locale, description="Content languages. Localized fields fall back to EN when a translation is missing."
)
for _enum in (Status, EventKind, PartnerKind, AgreementKind, ExhibitKind, DatePrecision):
    strawberry.enum(_enum)
for _content in ROOT_ORDER:
    if _content.order_enum is not None:
        strawberry.enum(_content.order_enum)
strawberry.enum(
    VariantFormat,
    name="ImageFormat",
    description="Formats images are served in (AVIF where the server's image library has it).",
)

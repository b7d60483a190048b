"""The tables as SQLAlchemy Core objects: what every read and write is written against."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from accord.models import (
    Agreement,
    AgreementParty,
    ApiToken,
    ChangeLog,
    Event,
    EventAgreement,
    EventExhibit,
    EventImage,
    EventPartner,
    EventTag,
    Exhibit,
    ExhibitAgreement,
    ExhibitImage,
    Image,
    ImageData,
    Partner,
    Revision,
    SearchDocument,
    ServerSecret,
)


def table_of(model: Any) -> Table:
    table: Table = model.__table__
    return table


events = table_of(Event)
partners = table_of(Partner)
agreements = table_of(Agreement)
exhibits = table_of(Exhibit)
event_partner = table_of(EventPartner)
event_agreement = table_of(EventAgreement)
event_exhibit = table_of(EventExhibit)
event_tag = table_of(EventTag)
agreement_party = table_of(AgreementParty)
exhibit_agreement = table_of(ExhibitAgreement)
search_documents = table_of(SearchDocument)
revisions = table_of(Revision)
changes = table_of(ChangeLog)
api_tokens = table_of(ApiToken)
images = table_of(Image)
image_data = table_of(ImageData)
exhibit_image = table_of(ExhibitImage)
event_image = table_of(EventImage)
server_secrets = table_of(ServerSecret)

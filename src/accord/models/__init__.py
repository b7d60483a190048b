"""The tables. Importing this package registers every table on ``SQLModel.metadata``."""

from accord.models.agreement import Agreement
from accord.models.audit import ApiToken, ChangeLog, Revision
from accord.models.enums import AgreementKind, EventKind, ExhibitKind, Locale, PartnerKind, Status
from accord.models.event import Event
from accord.models.exhibit import Exhibit
from accord.models.links import (
    AgreementParty,
    EventAgreement,
    EventExhibit,
    EventPartner,
    EventTag,
    ExhibitAgreement,
)
from accord.models.media import EventImage, ExhibitImage, Image, ImageData
from accord.models.partner import Partner
from accord.models.push import PushDelivery, WebhookEndpoint, WebSubSubscription
from accord.models.search import SearchDocument
from accord.models.secret import ServerSecret

__all__ = [
    "Agreement",
    "AgreementKind",
    "AgreementParty",
    "ApiToken",
    "ChangeLog",
    "Event",
    "EventAgreement",
    "EventExhibit",
    "EventImage",
    "EventKind",
    "EventPartner",
    "EventTag",
    "Exhibit",
    "ExhibitAgreement",
    "ExhibitImage",
    "ExhibitKind",
    "Image",
    "ImageData",
    "Locale",
    "Partner",
    "PartnerKind",
    "PushDelivery",
    "Revision",
    "SearchDocument",
    "ServerSecret",
    "Status",
    "WebSubSubscription",
    "WebhookEndpoint",
]

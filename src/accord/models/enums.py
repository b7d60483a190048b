"""Vocabularies shared by the tables, the import format and the GraphQL schema.

Stored as plain strings (not database enum types) so that adding a value is a code change, not a
migration that locks a PostgreSQL table.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


class EventKind(StrEnum):
    CONFERENCE = "CONFERENCE"
    MEMBERSHIP = "MEMBERSHIP"
    AGREEMENT_SIGNING = "AGREEMENT_SIGNING"
    WORKSHOP = "WORKSHOP"
    STUDY_MISSION = "STUDY_MISSION"
    PARTICIPATION = "PARTICIPATION"
    NOTIFICATION = "NOTIFICATION"
    OTHER = "OTHER"


class PartnerKind(StrEnum):
    CUSTOMS_ADMINISTRATION = "CUSTOMS_ADMINISTRATION"
    ECONOMY = "ECONOMY"
    INTERNATIONAL_ORGANIZATION = "INTERNATIONAL_ORGANIZATION"
    FORUM = "FORUM"
    COMMITTEE = "COMMITTEE"
    OTHER = "OTHER"


class AgreementKind(StrEnum):
    MUTUAL_ASSISTANCE = "MUTUAL_ASSISTANCE"
    MUTUAL_RECOGNITION = "MUTUAL_RECOGNITION"
    COOPERATION_ARRANGEMENT = "COOPERATION_ARRANGEMENT"
    ACCESSION = "ACCESSION"
    ACCEPTANCE = "ACCEPTANCE"
    OTHER = "OTHER"


class ExhibitKind(StrEnum):
    UNIFORM = "UNIFORM"
    DOCUMENT = "DOCUMENT"
    ARTIFACT = "ARTIFACT"
    PHOTOGRAPH = "PHOTOGRAPH"
    OTHER = "OTHER"


class Locale(StrEnum):
    EN = "EN"
    ZH_TW = "ZH_TW"

"""The event catalogue, and which events one content change raises.

Webhooks report what the public sees: a change raises events only when the content was or becomes
PUBLISHED, so drafts never leave the server.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.content.document import ContentRecord
from accord.content.fields import Linked, Origin, Tags
from accord.content.model import PARTNER
from accord.models.enums import Status

MILESTONE_PUBLISHED = "milestone.published"
CONTENT_PUBLISHED = "content.published"
CONTENT_UPDATED = "content.updated"
CONTENT_UNPUBLISHED = "content.unpublished"
CONTENT_ARCHIVED = "content.archived"
CONTENT_DELETED = "content.deleted"
# Sent to every endpoint on request (`accord webhook test`), whatever it subscribed to.
WEBHOOK_TEST = "webhook.test"
WEBSUB_DISTRIBUTION = "websub.distribution"

# Event types an endpoint may ask for, with what they mean (docs/webhooks.md has the same table).
CATALOGUE: dict[str, str] = {
    MILESTONE_PUBLISHED: "a milestone event became PUBLISHED (created published, or published later)",
    CONTENT_PUBLISHED: "any content (event, partner, agreement, exhibit) became PUBLISHED",
    CONTENT_UPDATED: "published content was edited (or restored) and stays PUBLISHED",
    CONTENT_UNPUBLISHED: "published content went back to DRAFT",
    CONTENT_ARCHIVED: "published content was ARCHIVED",
    CONTENT_DELETED: "content that had been published was deleted",
}


@dataclass(frozen=True, slots=True)
class ContentChange:
    """What one committed write did: the change-log row's facts and the content before and after
    (the writer's ``WriteResult``, for a write that changed something)."""

    type_name: str  # Event, Partner, Agreement, Exhibit
    id: int
    action: str  # create, update, publish, archive, delete, restore
    change_id: int
    milestone_published: bool
    before: ContentRecord | None
    after: ContentRecord | None

    @property
    def record(self) -> ContentRecord:
        """The content as it is now, or as it was before a deletion."""
        record = self.after or self.before
        assert record is not None
        return record


def _public(record: ContentRecord | None) -> bool:
    return record is not None and record.status is Status.PUBLISHED


def events_of(change: ContentChange) -> list[str]:
    """The event types the change raises, in catalogue order."""
    raised: list[str] = []
    was, now = _public(change.before), _public(change.after)
    if change.milestone_published:
        raised.append(MILESTONE_PUBLISHED)
    if now and not was:
        raised.append(CONTENT_PUBLISHED)
    elif now and was:
        raised.append(CONTENT_UPDATED)
    elif was and change.after is not None:
        raised.append(CONTENT_ARCHIVED if change.after.status is Status.ARCHIVED else CONTENT_UNPUBLISHED)
    if change.after is None and change.before is not None and change.before.published_at is not None:
        raised.append(CONTENT_DELETED)
    return raised


def partners_of(record: ContentRecord | None) -> set[str]:
    """The partner slugs a piece of content is about, for the endpoints' partner filter: a partner
    itself, and the partners its declaration links it to (an event's partners, an agreement's
    parties, an exhibit's origin)."""
    if record is None:
        return set()
    content = record.content_type
    if content is PARTNER:
        return {record.slug}
    found: set[str] = set()
    for spec in content.fields:
        if isinstance(spec, Linked) and spec.written and spec.target == PARTNER.name:
            found.update(getattr(record, spec.record))
        elif isinstance(spec, Origin) and spec.target == PARTNER.name and getattr(record, spec.record):
            found.add(getattr(record, spec.record))
    return found


def tags_of(record: ContentRecord | None) -> set[str]:
    if record is None:
        return set()
    return {tag for spec in record.content_type.of_kind(Tags) for tag in getattr(record, spec.record)}

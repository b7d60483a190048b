"""Who sees what: anonymous readers see published content only; token holders (editors, admins and
previews) see every status, and when a draft is scheduled to be published."""

from __future__ import annotations

from dataclasses import dataclass

from accord.core.auth import Viewer
from accord.models.enums import Status


@dataclass(frozen=True, slots=True)
class Visibility:
    statuses: tuple[str, ...]

    @property
    def sees_schedules(self) -> bool:
        """``scheduledAt`` is shown to those who see drafts; everybody else reads null."""
        return Status.DRAFT.value in self.statuses


PUBLIC = Visibility((Status.PUBLISHED.value,))
EDITOR = Visibility(tuple(status.value for status in Status))


def visibility_of(viewer: Viewer | None) -> Visibility:
    """What a request sees: token holders whose role reads drafts see every status."""
    return EDITOR if viewer is not None and viewer.allows("read_drafts") else PUBLIC

"""Who sees what: anonymous readers see published content only; token holders see every status."""

from __future__ import annotations

from dataclasses import dataclass

from accord.models.enums import Status


@dataclass(frozen=True, slots=True)
class Visibility:
    statuses: tuple[str, ...]


PUBLIC = Visibility((Status.PUBLISHED.value,))
EDITOR = Visibility(tuple(status.value for status in Status))

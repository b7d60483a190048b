"""Saved feeds: named event feeds defined in the YAML file that ``ACCORD_FEEDS_FILE`` names.

The file is read and validated once, at start; a problem stops the process with a message that
names the file, the feed and the field. The format is documented in ``docs/feeds.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from accord.content.document import Slug, Tag
from accord.core.locale import locale_of_tag
from accord.feeds.links import MILESTONES
from accord.models.enums import EventKind, Locale
from accord.read.filters import Filter

NAME_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# Names that are, or could become, other feeds' URLs under /feeds/.
RESERVED_NAMES = frozenset({MILESTONES, "partners"})


class FeedsFileError(ValueError):
    """The saved-feeds file cannot be used; the message is one line for an operator."""


class SavedFilter(BaseModel):
    """Which published events a saved feed shows; the keys are those of GraphQL's EventFilter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: Slug | None = None
    tag: Tag | None = None
    kind: EventKind | None = None
    year_from: int | None = Field(default=None, alias="yearFrom", ge=1, le=9999)
    year_to: int | None = Field(default=None, alias="yearTo", ge=1, le=9999)
    milestones_only: bool = Field(default=False, alias="milestonesOnly")

    @model_validator(mode="after")
    def _year_range(self) -> Self:
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError(f"yearFrom ({self.year_from}) is after yearTo ({self.year_to})")
        return self

    def event_filter(self) -> Filter:
        """The filter as GraphQL's EventFilter names it (accord.read.filters reads it)."""
        return self.model_dump(by_alias=True, exclude_none=True)


class SavedFeed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=80)
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=1000)
    locale: Literal["en", "zh-TW"] | None = None
    filter: SavedFilter = Field(default_factory=SavedFilter)

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_NAMES:
            raise ValueError(f"{value!r} is taken by a built-in feed; choose another name")
        return value

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @property
    def fixed_locale(self) -> Locale | None:
        return None if self.locale is None else locale_of_tag(self.locale)


class FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[SavedFeed]


def load_saved_feeds(path: Path | None) -> dict[str, SavedFeed]:
    """The saved feeds by name, in file order; no file, no saved feeds."""
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FeedsFileError(f"{path}: cannot read the saved-feeds file: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise FeedsFileError(f"{path}: not valid YAML: {reason}") from None
    if not isinstance(data, Mapping):
        raise FeedsFileError(f"{path}: expected a mapping with a `feeds:` list")
    try:
        parsed = FeedsFile.model_validate(data)
    except ValidationError as exc:
        raise FeedsFileError(f"{path}: {describe(data, exc)}") from None
    feeds: dict[str, SavedFeed] = {}
    for index, feed in enumerate(parsed.feeds):
        if feed.name in feeds:
            first = list(feeds).index(feed.name)
            raise FeedsFileError(
                f"{path}: feeds[{index}] (name {feed.name!r}): name: already used by feeds[{first}]"
            )
        feeds[feed.name] = feed
    return feeds


def describe(data: Any, exc: ValidationError) -> str:
    """Every problem as ``feeds[1] (name 'x'): filter.kind: message``, joined with '; '."""
    problems = []
    for error in exc.errors():
        location = list(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        where = ""
        if len(location) >= 2 and location[0] == "feeds" and isinstance(location[1], int):
            index = location[1]
            where = f"feeds[{index}]"
            name = _name_at(data, index)
            if name is not None:
                where += f" (name {name!r})"
            location = location[2:]
        field = ".".join(str(part) for part in location)
        parts = [part for part in (where, field) if part]
        problems.append(f"{': '.join(parts) or 'file'}: {message}")
    return "; ".join(problems)


def _name_at(data: Any, index: int) -> str | None:
    try:
        name = data["feeds"][index]["name"]
    except (KeyError, IndexError, TypeError):
        return None
    return name if isinstance(name, str) else None

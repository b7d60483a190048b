"""Moments a client sends (a subscription's ``since``, the SSE stream's ``?since=``, the time to
publish at) and how long a preview link lives."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from accord.core.errors import BadInput

MAX_CLOCK_SKEW = timedelta(minutes=1)


def replay_start(since: datetime | None, *, field: str = "since") -> datetime | None:
    """The moment to replay milestones from, in UTC (a time without an offset is read as UTC)."""
    if since is None:
        return None
    aware = since if since.tzinfo is not None else since.replace(tzinfo=UTC)
    try:
        moment = aware.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first moment Python has
        raise BadInput(f"{field}: that moment is out of range", field=field) from None
    if moment > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise BadInput(f"{field}: that moment is in the future", field=field)
    return moment


# Scheduled publishing (docs/editing.md, "Scheduling").
SCHEDULE_YEARS_AHEAD = 10
OFFSET_EXAMPLE = "2027-03-01T10:00:00+08:00 (10:00 in Taipei) or 2027-03-01T02:00:00Z (UTC)"


def years_after(moment: datetime, years: int) -> datetime:
    """The same day and time ``years`` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def publish_moment(at: datetime | None, *, now: datetime, field: str = "at") -> datetime | None:
    """When to publish: None for at once (no time given, or a time already past), else the moment
    in UTC. A time without an offset is refused, not read as UTC: "10:00" means a different moment
    in Taipei and in Brussels, and guessing would publish hours early or late."""
    if at is None:
        return None
    if at.tzinfo is None or at.utcoffset() is None:
        raise BadInput(f"{field}: give the time with its offset, e.g. {OFFSET_EXAMPLE}", field=field)
    try:
        moment = at.astimezone(UTC)
    except OverflowError:
        raise BadInput(f"{field}: that moment is out of range", field=field) from None
    if moment <= now:
        return None
    if moment > years_after(now, SCHEDULE_YEARS_AHEAD):
        raise BadInput(
            f"{field}: a publish can be scheduled at most {SCHEDULE_YEARS_AHEAD} years ahead", field=field
        )
    return moment


# How long a preview link works: ``--expires 24h`` and ``previewLink(expiresIn: "24h")``.
DURATION = re.compile(r"([0-9]{1,4})([mhd])")
DURATION_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
MIN_LINK_LIFETIME = timedelta(minutes=1)
MAX_LINK_LIFETIME = timedelta(days=30)


def parse_lifetime(text: str, *, field: str = "expiresIn") -> timedelta:
    """``30m``, ``24h``, ``7d``: from one minute to 30 days."""
    match = DURATION.fullmatch(text)
    if match is None:
        raise BadInput(
            f"{field}: a number and a unit, m (minutes), h (hours) or d (days), e.g. 24h", field=field
        )
    lifetime = int(match.group(1)) * DURATION_UNITS[match.group(2)]
    if not MIN_LINK_LIFETIME <= lifetime <= MAX_LINK_LIFETIME:
        raise BadInput(f"{field}: from 1m to 30d", field=field)
    return lifetime

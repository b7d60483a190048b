"""Moments a client sends (a subscription's ``since``, the SSE stream's ``?since=``)."""

from __future__ import annotations

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

"""What a milestone subscription asks for: its partner and tag filter and where to resume from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graphql import GraphQLError

from accord.core.errors import ClientError
from accord.core.moments import replay_start
from accord.live.hub import MilestoneFilter
from accord.operation.pipeline import Pipeline
from accord.operation.prepare import Prepared


def milestone_arguments(
    pipeline: Pipeline, prepared: Prepared, operation_name: str | None, variables: dict[str, Any] | None
) -> tuple[MilestoneFilter, datetime | None]:
    """The filter and replay start of a ``milestoneAdded`` subscription (the only subscription
    field); raises GraphQLError with the client's mistake."""
    _name, arguments = pipeline.root_arguments(prepared, operation_name, variables)
    try:
        since = replay_start(arguments.get("since"))
    except ClientError as error:
        raise GraphQLError(str(error), extensions={"code": error.code, "field": "since"}) from None
    return MilestoneFilter(partner=arguments.get("partner"), tag=arguments.get("tag")), since

"""The Mutation root: the contract's event mutations and the same shape for the other types.

Writes need ``Authorization: Bearer <token>``; failures are GraphQL errors whose extensions.code is
UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND or CONFLICT, and a failed write changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from accord.core.numbers import parse_natural
from accord.models.enums import Status
from accord.resolvers import content
from accord.resolvers.errors import BadInput
from accord.resolvers.ids import to_global_id
from accord.resolvers.visibility import EDITOR
from accord.schema.types import Agreement, Event, Exhibit, Info, Node, Partner, node_of
from accord.schema.write_inputs import (
    AgreementInput,
    AgreementPatch,
    EventInput,
    EventPatch,
    ExhibitInput,
    ExhibitPatch,
    PartnerInput,
    PartnerPatch,
    to_request,
)
from accord.writes.content import WriteResult

EXPECTED = "The updatedAt you read; if the content changed since, the update is refused with CONFLICT."


async def _written(info: Info, result: WriteResult) -> Any:
    # A fresh connection: one opened before the write could still be reading the old snapshot.
    await info.context.db.close()
    row = await content.get_by_id(info.context.db, result.type_name, result.id, EDITOR)
    assert row is not None
    return node_of(result.type_name, row)


async def _create(info: Info, type_name: str, data: Any) -> Any:
    writer = info.context.services.writer
    return await _written(
        info, await writer.create(info.context.viewer, type_name, to_request(data, patch=False))
    )


async def _update(info: Info, type_name: str, id: str, data: Any, expected: datetime | None) -> Any:
    writer = info.context.services.writer
    request = to_request(data, patch=True)
    return await _written(info, await writer.update(info.context.viewer, type_name, id, request, expected))


async def _status(info: Info, type_name: str, id: str, status: Status) -> Any:
    return await _written(
        info, await info.context.services.writer.set_status(info.context.viewer, type_name, id, status)
    )


async def _delete(info: Info, type_name: str, id: str) -> strawberry.ID:
    result = await info.context.services.writer.delete(info.context.viewer, type_name, id)
    return strawberry.ID(to_global_id(result.type_name, result.id))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_event(self, info: Info, input: EventInput) -> Event:
        result: Event = await _create(info, "Event", input)
        return result

    @strawberry.mutation
    async def update_event(
        self,
        info: Info,
        id: strawberry.ID,
        input: EventPatch,
        expected_updated_at: Annotated[datetime | None, strawberry.argument(description=EXPECTED)] = None,
    ) -> Event:
        result: Event = await _update(info, "Event", id, input, expected_updated_at)
        return result

    @strawberry.mutation
    async def publish_event(self, info: Info, id: strawberry.ID) -> Event:
        result: Event = await _status(info, "Event", id, Status.PUBLISHED)
        return result

    @strawberry.mutation
    async def archive_event(self, info: Info, id: strawberry.ID) -> Event:
        result: Event = await _status(info, "Event", id, Status.ARCHIVED)
        return result

    @strawberry.mutation(description="Admins only. Returns the id of the deleted event.")
    async def delete_event(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return await _delete(info, "Event", id)

    @strawberry.mutation
    async def create_partner(self, info: Info, input: PartnerInput) -> Partner:
        result: Partner = await _create(info, "Partner", input)
        return result

    @strawberry.mutation
    async def update_partner(
        self,
        info: Info,
        id: strawberry.ID,
        input: PartnerPatch,
        expected_updated_at: Annotated[datetime | None, strawberry.argument(description=EXPECTED)] = None,
    ) -> Partner:
        result: Partner = await _update(info, "Partner", id, input, expected_updated_at)
        return result

    @strawberry.mutation
    async def publish_partner(self, info: Info, id: strawberry.ID) -> Partner:
        result: Partner = await _status(info, "Partner", id, Status.PUBLISHED)
        return result

    @strawberry.mutation
    async def archive_partner(self, info: Info, id: strawberry.ID) -> Partner:
        result: Partner = await _status(info, "Partner", id, Status.ARCHIVED)
        return result

    @strawberry.mutation(description="Admins only.")
    async def delete_partner(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return await _delete(info, "Partner", id)

    @strawberry.mutation
    async def create_agreement(self, info: Info, input: AgreementInput) -> Agreement:
        result: Agreement = await _create(info, "Agreement", input)
        return result

    @strawberry.mutation
    async def update_agreement(
        self,
        info: Info,
        id: strawberry.ID,
        input: AgreementPatch,
        expected_updated_at: Annotated[datetime | None, strawberry.argument(description=EXPECTED)] = None,
    ) -> Agreement:
        result: Agreement = await _update(info, "Agreement", id, input, expected_updated_at)
        return result

    @strawberry.mutation
    async def publish_agreement(self, info: Info, id: strawberry.ID) -> Agreement:
        result: Agreement = await _status(info, "Agreement", id, Status.PUBLISHED)
        return result

    @strawberry.mutation
    async def archive_agreement(self, info: Info, id: strawberry.ID) -> Agreement:
        result: Agreement = await _status(info, "Agreement", id, Status.ARCHIVED)
        return result

    @strawberry.mutation(description="Admins only.")
    async def delete_agreement(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return await _delete(info, "Agreement", id)

    @strawberry.mutation
    async def create_exhibit(self, info: Info, input: ExhibitInput) -> Exhibit:
        result: Exhibit = await _create(info, "Exhibit", input)
        return result

    @strawberry.mutation
    async def update_exhibit(
        self,
        info: Info,
        id: strawberry.ID,
        input: ExhibitPatch,
        expected_updated_at: Annotated[datetime | None, strawberry.argument(description=EXPECTED)] = None,
    ) -> Exhibit:
        result: Exhibit = await _update(info, "Exhibit", id, input, expected_updated_at)
        return result

    @strawberry.mutation
    async def publish_exhibit(self, info: Info, id: strawberry.ID) -> Exhibit:
        result: Exhibit = await _status(info, "Exhibit", id, Status.PUBLISHED)
        return result

    @strawberry.mutation
    async def archive_exhibit(self, info: Info, id: strawberry.ID) -> Exhibit:
        result: Exhibit = await _status(info, "Exhibit", id, Status.ARCHIVED)
        return result

    @strawberry.mutation(description="Admins only.")
    async def delete_exhibit(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        return await _delete(info, "Exhibit", id)

    @strawberry.mutation(description="Put content back as a revision left it; a deletion is undone.")
    async def restore(self, info: Info, revision_id: strawberry.ID) -> Node:
        number = parse_natural(revision_id)
        if number is None:
            raise BadInput("revisionId: not a revision id", field="revisionId")
        result: Node = await _written(
            info, await info.context.services.writer.restore(info.context.viewer, number)
        )
        return result

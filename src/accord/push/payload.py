"""The JSON body of a webhook event.

``data`` holds the content as an anonymous reader sees it, in English and Traditional Chinese,
rendered from its row inside the write transaction (so a webhook describes the content as that
write left it) the way the GraphQL types render each kind of field (``accord.schema.types``).

Which fields it holds is written as a GraphQL selection. For events it is the selection of the
``milestoneAdded`` payload that Server-Sent Events carry (``accord.live.sse.SSE_QUERY``), read from
that document, so the two cannot drift apart (a test compares them). For the other content types
it is every field its declaration (``accord.content.model``) gives editors to write, linked content
shown the way the milestone payload shows it (a partner as ``{id slug name shortName}``), and no
images.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse
from sqlalchemy import Connection, select

from accord.content.fields import (
    Choice,
    Date,
    Field,
    Flag,
    Images,
    Linked,
    Localized,
    Origin,
    Places,
    Tags,
    Text,
)
from accord.content.model import BY_NAME, EVENT, ContentType
from accord.core.dates import period_label
from accord.core.ids import to_global_id
from accord.core.locale import LANGUAGE_TAGS, pick
from accord.core.row_types import ContentRow
from accord.core.visibility import PUBLIC
from accord.live.sse import SSE_QUERY
from accord.models.enums import Locale
from accord.push.events import WEBHOOK_TEST, ContentChange
from accord.read.relations import linked_query

LOCALES = (Locale.EN, Locale.ZH_TW)
# A selection: field name -> its own selection (None for a leaf).
Selection = dict[str, "Selection | None"]


def _selection(node: SelectionSetNode) -> Selection:
    return {
        child.name.value: None if child.selection_set is None else _selection(child.selection_set)
        for child in node.selections
        if isinstance(child, FieldNode)
    }


def _milestone_selection() -> Selection:
    operation = parse(SSE_QUERY).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    root = operation.selection_set.selections[0]
    assert isinstance(root, FieldNode) and root.selection_set is not None
    return _selection(root.selection_set)


EVENT_SELECTION = _milestone_selection()
# How linked content is shown: as the milestone payload shows it, else by its id, slug and title.
REF_SELECTIONS: dict[str, Selection] = {
    BY_NAME[spec.target].name: selected
    for spec in EVENT.of_kind(Linked)
    if (selected := EVENT_SELECTION.get(spec.name)) is not None
}
DATE_SELECTION: Selection = {"iso": None, "label": None}


def _ref_selection(target: ContentType) -> Selection:
    return REF_SELECTIONS.get(target.name) or {"id": None, "slug": None, target.title.name: None}


def _default_selection(content: ContentType) -> Selection:
    selection: Selection = {"id": None, "slug": None}
    for spec in content.fields:
        if isinstance(spec, Linked | Origin):
            if spec.written:
                selection[spec.name] = _ref_selection(BY_NAME[spec.target])
        elif isinstance(spec, Images):
            # Pictures are not in webhook data: their URLs depend on the width a receiver wants, and
            # a receiver reads them with GraphQL (docs/webhooks.md).
            continue
        elif spec.written:
            selection[spec.name] = DATE_SELECTION if isinstance(spec, Date) else None
    selection["publishedAt"] = None
    return selection


SELECTIONS: dict[str, Selection] = {
    name: EVENT_SELECTION if content is EVENT else _default_selection(content)
    for name, content in BY_NAME.items()
}


class _Renderer:
    """Renders rows of one transaction, reading linked rows through it (published ones only)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def render(
        self, content: ContentType, row: ContentRow, selection: Selection, locale: Locale
    ) -> dict[str, Any]:
        rendered: dict[str, Any] = {}
        for name, inner in selection.items():
            if name == "id":
                rendered[name] = to_global_id(content.name, row.id)
            elif name == "slug":
                rendered[name] = row.slug
            elif name == "publishedAt":
                rendered[name] = None if row.published_at is None else row.published_at.isoformat()
            else:
                rendered[name] = self.value(content, content.field(name), row, inner, locale)
        return rendered

    def value(
        self, content: ContentType, spec: Field, row: ContentRow, inner: Selection | None, locale: Locale
    ) -> Any:
        if isinstance(spec, Localized):
            return pick(getattr(row, spec.en), getattr(row, spec.zh), locale)
        if isinstance(spec, Text | Flag):
            return getattr(row, spec.column)
        if isinstance(spec, Choice):
            return spec.enum(getattr(row, spec.column)).value
        if isinstance(spec, Places):
            return [pick(place.get("en"), place.get("zh_tw"), locale) for place in getattr(row, spec.column)]
        if isinstance(spec, Date):
            return self.date(content, spec, row, inner or DATE_SELECTION, locale)
        if isinstance(spec, Tags):
            table = spec.table
            query = (
                select(table.c.tag).where(table.c.event_id == row.id).order_by(table.c.position, table.c.tag)
            )
            return list(self.conn.execute(query).scalars())
        if isinstance(spec, Linked):
            target = BY_NAME[spec.target]
            parameters = {"owners": [row.id], "statuses": list(PUBLIC.statuses)}
            linked = self.conn.execute(linked_query(spec.relation, None), parameters)
            return [self.render(target, found, inner or _ref_selection(target), locale) for found in linked]
        if isinstance(spec, Origin):
            target = BY_NAME[spec.target]
            table = target.table
            target_id = getattr(row, spec.column)
            found = (
                None
                if target_id is None
                else self.conn.execute(
                    select(table).where(table.c.id == target_id, table.c.status.in_(PUBLIC.statuses))
                ).first()
            )
            return (
                None if found is None else self.render(target, found, inner or _ref_selection(target), locale)
            )
        raise TypeError(f"no webhook rendering for {type(spec).__name__} fields")

    def date(
        self, content: ContentType, spec: Date, row: ContentRow, selection: Selection, locale: Locale
    ) -> dict[str, Any] | None:
        start = spec.value(row)
        if start is None:
            return None
        end_spec = content.field(spec.period_end) if spec.period_end else None
        end = end_spec.value(row) if isinstance(end_spec, Date) else None
        values = {
            "iso": start.iso,
            "label": period_label(start, end, locale),
            "year": start.year,
            "month": start.month,
            "day": start.day,
        }
        return {name: values[name] for name in selection}


def content_data(conn: Connection, change: ContentChange) -> dict[str, Any] | None:
    """The ``data`` object: the content in both languages, or None for deleted content."""
    if change.after is None:
        return None
    content = BY_NAME[change.type_name]
    row = conn.execute(select(content.table).where(content.table.c.id == change.id)).first()
    if row is None:
        return None
    renderer = _Renderer(conn)
    selection = SELECTIONS[content.name]
    return {LANGUAGE_TAGS[locale]: renderer.render(content, row, selection, locale) for locale in LOCALES}


def event_body(event_type: str, change: ContentChange, data: dict[str, Any] | None, at: datetime) -> str:
    """The body of one event: the same for every endpoint that gets it."""
    about = {
        "changeId": change.change_id,
        "contentType": change.type_name,
        "id": to_global_id(change.type_name, change.id),
        "slug": change.record.slug,
        "action": change.action,
    }
    return _body(event_type, at, about, data)


def test_body(endpoint_id: int, at: datetime) -> str:
    about = {"changeId": None, "contentType": None, "id": None, "slug": None, "action": "test"}
    return _body(
        WEBHOOK_TEST, at, about, {"endpoint": endpoint_id, "message": "a test event sent on request"}
    )


def _body(event_type: str, at: datetime, about: dict[str, Any], data: dict[str, Any] | None) -> str:
    """Every event's JSON: its type and time, what it is about, then its data."""
    return orjson.dumps({"type": event_type, "timestamp": at.isoformat(), **about, "data": data}).decode()

"""accord.content.model: the declarations everything else is derived from are consistent."""

from __future__ import annotations

import pytest

from accord.content.fields import Date, Field, Linked, Listing, Localized, Origin
from accord.content.model import BY_NAME, BY_PLURAL, BY_SINGULAR, CONTENT_TYPES, ROOT_ORDER, ContentType

IDS = [content.name for content in CONTENT_TYPES]


def test_the_maps_name_every_type() -> None:
    assert set(ROOT_ORDER) == set(CONTENT_TYPES) and len(CONTENT_TYPES) == 4
    for content in CONTENT_TYPES:
        assert BY_NAME[content.name] is BY_PLURAL[content.plural] is BY_SINGULAR[content.singular] is content


@pytest.mark.parametrize("content", CONTENT_TYPES, ids=IDS)
def test_names_are_unique(content: ContentType) -> None:
    for attribute in ("name", "record", "input_name"):
        names = [getattr(spec, attribute) for spec in content.fields if getattr(spec, attribute)]
        assert len(names) == len(set(names)), attribute
    orders = [order.name for order in content.orders]
    tags = [order.tag for other in CONTENT_TYPES for order in other.orders]
    assert len(orders) == len(set(orders)) and len(tags) == len(set(tags))  # a cursor names one list


@pytest.mark.parametrize("content", CONTENT_TYPES, ids=IDS)
def test_declared_columns_exist(content: ContentType) -> None:
    columns = set(content.table.c.keys())
    for spec in content.fields:
        assert set(spec.columns) <= columns, spec.name
        if isinstance(spec, Date) and spec.sort_column:
            assert spec.sort_column in columns
    for order in content.orders:
        assert all(column.table is content.table for column in order.columns)
        assert order.columns[-1].primary_key  # the last column is unique: the order is total


@pytest.mark.parametrize("content", CONTENT_TYPES, ids=IDS)
def test_relations_point_at_declared_types_through_their_link_tables(content: ContentType) -> None:
    for spec in content.fields:
        if isinstance(spec, Linked | Listing):
            relation = spec.relation
            assert relation.target in BY_NAME
            assert {relation.own_column, relation.target_column} <= set(relation.link.c.keys())
        if isinstance(spec, Origin):
            assert spec.target in BY_NAME


def test_links_only_point_at_types_before_them() -> None:
    """The document format loads its sections in CONTENT_TYPES' order."""
    position = {content.name: index for index, content in enumerate(CONTENT_TYPES)}
    for content in CONTENT_TYPES:
        targets = [spec.target for spec in content.links] + [spec.target for spec in content.of_kind(Origin)]
        assert all(position[target] < position[content.name] for target in targets), content.name


@pytest.mark.parametrize("content", CONTENT_TYPES, ids=IDS)
def test_every_type_has_one_title_and_period_ends_are_dates(content: ContentType) -> None:
    assert isinstance(content.title, Localized) and content.title.required
    for spec in content.of_kind(Date):
        if spec.period_end:
            assert isinstance(content.field(spec.period_end), Date)


def test_orders_and_lookups() -> None:
    event = BY_NAME["Event"]
    assert event.order(None) is event.orders[0]
    assert event.order("DATE_DESC").descending
    assert event.order_enum is not None and [member.value for member in event.order_enum] == [
        "DATE_ASC",
        "DATE_DESC",
    ]
    assert BY_NAME["Agreement"].order_enum is None  # one order: the list takes no orderBy
    assert event.field_by_record("end_date").name == "endDate"
    assert isinstance(event.linked("partners"), Field)
    assert [spec.input_name for spec in event.links] == ["partnerIds", "agreementIds", "exhibitIds"]

"""accord.content.rows: records to table rows and back, field by field as the content model
declares them. Every record of the bundled fixtures, and one with every optional part, survives
the round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from accord.content.document import RECORD_TYPES, ContentDocument, ContentRecord
from accord.content.fields import Linked, Origin, Tags
from accord.content.files import bundled_fixtures_dir, fixture_files, read_document
from accord.content.model import BY_NAME, CONTENT_TYPES, EVENT, ContentType
from accord.content.rows import content_row, full_row, record_of
from accord.models.enums import Status

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed() -> ContentDocument:
    (path,) = fixture_files(bundled_fixtures_dir())
    return read_document(path)


def related_of(content: ContentType, record: ContentRecord) -> dict[str, Any]:
    """What a row does not hold itself (links, tags, the origin): the reader passes it by record field."""
    return {
        spec.record: getattr(record, spec.record)
        for spec in content.fields
        if spec.record and isinstance(spec, Linked | Tags | Origin)
    }


def round_trip(content: ContentType, record: ContentRecord) -> ContentRecord:
    row = SimpleNamespace(id=1, **full_row(content, record, NOW))
    return record_of(content, row, related_of(content, record))


def with_timestamps(record: ContentRecord) -> ContentRecord:
    published = record.published_at or (None if record.status is Status.DRAFT else NOW)
    return record.model_copy(
        update={
            "published_at": published,
            "created_at": record.created_at or NOW,
            "updated_at": record.updated_at or NOW,
        }
    )


@pytest.mark.parametrize("content", CONTENT_TYPES, ids=lambda content: content.name)
def test_every_seed_record_round_trips(seed: ContentDocument, content: ContentType) -> None:
    records = seed.records(content)
    assert records
    for record in records:
        assert round_trip(content, record) == with_timestamps(record), record.slug


def test_an_event_with_every_optional_part_round_trips() -> None:
    record = RECORD_TYPES["Event"].model_validate(
        {
            "slug": "full",
            "status": "DRAFT",
            "title": {"en": "Full", "zh_tw": "全"},
            "summary": {"en": "S", "zh_tw": "摘"},
            "date": {"year": 2013, "month": 5, "day": 3},
            "end_date": {"year": 2015, "month": 2},
            "kind": "WORKSHOP",
            "milestone": True,
            "places": [{"en": "Taipei", "zh_tw": "臺北"}, {"en": "Geneva"}],
            "tags": ["b", "a"],
            "partners": ["wto"],
            "agreements": ["x"],
            "exhibits": ["y"],
            "created_at": "2020-01-01T00:00:00+00:00",
            "updated_at": "2021-01-01T00:00:00+08:00",
        }
    )
    back = round_trip(EVENT, record)
    assert back == with_timestamps(record)
    assert back.published_at is None  # a draft is not published by being written
    assert back.tags == ["b", "a"]  # type: ignore[attr-defined]  # the editor's order


def test_rows_hold_the_declared_columns() -> None:
    record = RECORD_TYPES["Event"].model_validate(
        {"slug": "e", "title": {"en": "E"}, "date": {"year": 2013, "month": 5}, "end_date": {"year": 2015}}
    )
    row = content_row(EVENT, record)
    assert row["sort_key"] == 20130500  # the order column follows the start date
    assert (row["year"], row["month"], row["day"]) == (2013, 5, None)
    assert (row["end_year"], row["end_month"], row["end_day"]) == (2015, None, None)
    assert row["title_zh"] is None and row["is_milestone"] is False and row["places"] == []
    assert not {"slug", "status", "created_at", "partners", "tags"} & row.keys()  # identity and links apart
    without_end = content_row(EVENT, record.model_copy(update={"end_date": None}))
    assert (without_end["end_year"], without_end["end_month"], without_end["end_day"]) == (None, None, None)


@pytest.mark.parametrize("content", CONTENT_TYPES, ids=lambda content: content.name)
def test_every_row_key_is_a_column_of_its_table(seed: ContentDocument, content: ContentType) -> None:
    row = full_row(content, seed.records(content)[0], NOW)
    assert set(row) <= set(content.table.c.keys())
    required = {
        column.name
        for column in content.table.c
        if not column.nullable and not column.primary_key and column.default is None
    }
    assert required <= set(row), required - set(row)


def test_rows_read_back_are_validated_as_stored() -> None:
    """A row written before a rule existed (a control character, more tags than allowed) is read."""
    record = RECORD_TYPES["Partner"].model_validate({"slug": "p", "name": {"en": "P"}, "kind": "FORUM"})
    row = SimpleNamespace(**full_row(BY_NAME["Partner"], record, NOW))
    row.name_en = "Bad\x0bname"
    assert record_of(BY_NAME["Partner"], row, {}).name.en == "Badname"  # type: ignore[attr-defined]

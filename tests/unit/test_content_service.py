"""accord.content.service: a document loaded into SQLite (in memory, migrated) and exported again,
in both formats; loading is idempotent, and a document with a broken reference loads nothing."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
import yaml
from sqlalchemy import Engine, func, select

from accord.content.document import ContentDocument, DocumentError, parse_document
from accord.content.files import FileFormat, dump_document
from accord.content.service import content_counts, export_document, is_empty, load_document
from accord.core.tables import changes, search_documents
from accord.db import create_sync_engine
from accord.migrate import upgrade
from tests.unit.test_content_files import SMALL


def migrated() -> Engine:
    engine = create_sync_engine("sqlite://")  # one connection per thread: the database stays
    upgrade(engine)
    return engine


@pytest.fixture
def engine() -> Iterator[Engine]:
    created = migrated()
    yield created
    created.dispose()


@pytest.fixture
def small() -> ContentDocument:
    return parse_document("small", SMALL)


def test_load_then_export(engine: Engine, small: ContentDocument) -> None:
    assert is_empty(engine)
    report = load_document(engine, small)
    assert report.inserted == {"partners": 1, "agreements": 1, "exhibits": 1, "events": 1}
    assert content_counts(engine) == {"partners": 1, "agreements": 1, "exhibits": 1, "events": 1}
    exported = parse_document("export", orjson.loads(export_document(engine, FileFormat.JSON)))
    event = exported.events[0]  # type: ignore[attr-defined]
    assert event.slug == "e" and event.partners == ["wto"] and event.tags == ["aeo"]
    assert event.places[0].zh_tw == "臺北" and event.date.day == 3
    assert str(event.published_at) == "2024-05-01 09:00:00+00:00"  # kept as given
    assert exported.exhibits[0].origin == "wto"  # type: ignore[attr-defined]
    assert exported.agreements[0].parties == ["wto"]  # type: ignore[attr-defined]
    with engine.connect() as conn:  # indexed for search, and one change-log row for running servers
        assert conn.execute(select(func.count()).select_from(search_documents)).scalar_one() == 4
        assert conn.execute(select(changes.c.action)).scalars().all() == ["load"]


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_export_import_export_is_byte_identical(
    engine: Engine, small: ContentDocument, fmt: FileFormat
) -> None:
    load_document(engine, small)
    first = export_document(engine, fmt)
    other = migrated()
    try:
        raw = orjson.loads(first) if fmt is FileFormat.JSON else yaml.safe_load(first)
        load_document(other, parse_document("export", raw))
        assert export_document(other, fmt) == first
    finally:
        other.dispose()
    assert first == dump_document(parse_document("x", yaml.safe_load(first)), fmt)


def test_loading_the_same_document_again_changes_nothing(engine: Engine, small: ContentDocument) -> None:
    load_document(engine, small)
    before = export_document(engine, FileFormat.JSON)
    report = load_document(engine, small)
    assert sum(report.inserted.values()) == sum(report.updated.values()) == 0
    assert sum(report.unchanged.values()) == 4
    assert export_document(engine, FileFormat.JSON) == before  # not even updated_at
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(changes)).scalar_one() == 1


def test_a_changed_record_is_updated_in_place(engine: Engine, small: ContentDocument) -> None:
    load_document(engine, small)
    changed = dict(SMALL, events=[dict(SMALL["events"][0], title={"en": "Renamed"}, tags=["b", "a"])])
    report = load_document(engine, parse_document("changed", changed))
    assert report.updated["events"] == 1 and report.unchanged["partners"] == 1
    event = parse_document("x", orjson.loads(export_document(engine, FileFormat.JSON))).events[0]  # type: ignore[attr-defined]
    assert event.title.en == "Renamed" and event.title.zh_tw is None and event.tags == ["b", "a"]


def test_a_broken_reference_loads_nothing(engine: Engine) -> None:
    broken = {"events": [{"slug": "e", "title": {"en": "E"}, "date": {"year": 2000}, "partners": ["nobody"]}]}
    with pytest.raises(
        DocumentError, match=r"events\[0\] \(slug e\): partners\[0\]: unknown partner 'nobody'"
    ):
        load_document(engine, parse_document("broken", broken))
    assert is_empty(engine)

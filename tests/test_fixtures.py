"""The bundled fixtures carry the seed document, and loading is idempotent and all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from accord.content.document import DocumentError
from accord.content.files import FileFormat, bundled_fixtures_dir, fixture_files, read_document
from accord.content.service import content_counts, export_document, load_files
from accord.core.tables import events as event_table
from tests.harness.databases import migrated_engine


@pytest.fixture(scope="module")
def seed_document():  # type: ignore[no-untyped-def]
    files = fixture_files(bundled_fixtures_dir())
    assert files, "no fixture files found"
    return read_document(files[0])


def test_every_timeline_entry_is_an_event(seed_document) -> None:  # type: ignore[no-untyped-def]
    events = seed_document.events
    assert len(events) == 12
    years = [event.date.year for event in events]
    assert years == sorted(years)
    assert years[0] == 1972 and years[-1] == 2015
    assert years.count(2012) == 2, "the two 2012 entries are two events"
    period = [event for event in events if event.end_date is not None]
    assert len(period) == 1
    assert (period[0].date.year, period[0].end_date.year) == (2013, 2015)
    tfa = events[-1]
    assert (tfa.date.year, tfa.date.month) == (2015, 8)
    assert any(event.milestone for event in events)


def test_everything_is_bilingual(seed_document) -> None:  # type: ignore[no-untyped-def]
    for section in ("events", "agreements", "exhibits"):
        for record in getattr(seed_document, section):
            assert record.title.en and record.title.zh_tw, record.slug
    for partner in seed_document.partners:
        assert partner.name.en and partner.name.zh_tw, partner.slug
    for event in seed_document.events:
        assert event.summary.en and event.summary.zh_tw, event.slug
        for place in event.places:
            assert place.en and place.zh_tw


def test_the_named_agreements_partners_and_exhibits_are_there(seed_document) -> None:  # type: ignore[no-untyped-def]
    kinds = sorted(agreement.kind.value for agreement in seed_document.agreements)
    assert kinds.count("MUTUAL_RECOGNITION") == 4  # the 2012 US CBP MRA and the three of 2013-2015
    assert {"MUTUAL_ASSISTANCE", "COOPERATION_ARRANGEMENT", "ACCESSION", "ACCEPTANCE"} <= set(kinds)
    names = {partner.name.en for partner in seed_document.partners}
    short = {partner.short_name for partner in seed_document.partners}
    assert {"APEC", "WTO", "SCCP"} <= short
    assert sum(partner.kind.value == "COMMITTEE" for partner in seed_document.partners) >= 4
    assert any("Japan" in name for name in names)
    assert sorted(exhibit.kind.value for exhibit in seed_document.exhibits) == [
        "ARTIFACT",
        "DOCUMENT",
        "UNIFORM",
    ]


def test_loading_twice_changes_nothing(database_url: str) -> None:
    engine = migrated_engine(database_url)
    try:
        files = fixture_files(bundled_fixtures_dir())
        first = load_files(engine, files)
        before = export_document(engine, FileFormat.JSON)
        second = load_files(engine, files)
        assert sum(first.inserted.values()) == 44
        assert sum(second.inserted.values()) == 0 and sum(second.updated.values()) == 0
        assert export_document(engine, FileFormat.JSON) == before
    finally:
        engine.dispose()


def test_changed_record_is_updated_in_place(database_url: str, tmp_path: Path) -> None:
    engine = migrated_engine(database_url)
    try:
        source = fixture_files(bundled_fixtures_dir())[0]
        load_files(engine, [source])
        raw = yaml.safe_load(source.read_text())
        raw["events"][0]["title"]["en"] = "A corrected title"
        raw["events"][0]["tags"] = ["corrected"]
        changed = tmp_path / "changed.yaml"
        changed.write_text(yaml.safe_dump(raw, allow_unicode=True))
        report = load_files(engine, [changed])
        assert report.updated["events"] == 1 and report.unchanged["events"] == 11
        with engine.connect() as conn:
            title = conn.execute(
                select(event_table.c.title_en).where(event_table.c.slug == raw["events"][0]["slug"])
            ).scalar()
        assert title == "A corrected title"
    finally:
        engine.dispose()


def _broken(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(fixture_files(bundled_fixtures_dir())[0].read_text())
    mutate(raw)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda raw: raw["events"][3]["date"].update(month=13), "events[3] (slug 1999-"),
        (lambda raw: raw["events"][3]["date"].update(month=2, day=30), "date"),
        (
            lambda raw: raw["events"][5].update(partners=["no-such-partner"]),
            "unknown partner 'no-such-partner'",
        ),
        (lambda raw: raw["partners"][0].update(slug="Not A Slug"), "partners[0]"),
        (lambda raw: raw["events"][0].pop("title"), "title: Field required"),
        (lambda raw: raw["events"][10]["end_date"].update(year=2010), "end date must come after"),
    ],
)
def test_a_bad_file_is_rejected_whole(database_url: str, tmp_path: Path, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    engine = migrated_engine(database_url)
    try:
        path = _broken(tmp_path, mutate)
        with pytest.raises(DocumentError) as raised:
            load_files(engine, [path])
        message = str(raised.value)
        assert str(path) in message
        assert expected in message
        assert content_counts(engine) == {"partners": 0, "agreements": 0, "exhibits": 0, "events": 0}
    finally:
        engine.dispose()

"""accord.content.document: the records derived from the content model accept and refuse what
docs/editing.md says ("Other limits"), and name the record and the field they refuse."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from accord.content.document import (
    DOCUMENT_TYPE,
    FORMAT_VERSION,
    RECORD_TYPES,
    STORED,
    DocumentError,
    merge_documents,
    parse_document,
)
from accord.content.model import CONTENT_TYPES
from accord.models.enums import EventKind, Status

EVENT = {
    "slug": "2013-aeo-arrangement",
    "title": {"en": "AEO arrangement", "zh_tw": "優質企業相互承認"},
    "summary": {"en": "Signed in Taipei."},
    "date": {"year": 2013, "month": 5, "day": 3},
    "end_date": {"year": 2015},
    "kind": "AGREEMENT_SIGNING",
    "milestone": True,
    "places": [{"en": "Taipei", "zh_tw": "臺北"}],
    "tags": ["aeo", "trade-facilitation"],
    "partners": ["wto"],
}
PARTNER = {
    "slug": "wto",
    "name": {"en": "World Trade Organization"},
    "short_name": "WTO",
    "kind": "INTERNATIONAL_ORGANIZATION",
    "country": "CH",
    "website": "https://www.wto.org/",
}
EXHIBIT = {
    "slug": "uniform-1972",
    "title": {"en": "Uniform"},
    "kind": "UNIFORM",
    "image_url": "/images/u.jpg",
}


def event(**changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(EVENT)
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def refusal(section: str, record: dict[str, Any]) -> str:
    with pytest.raises(DocumentError) as refused:
        parse_document("file.yaml", {section: [record]})
    return str(refused.value)


def test_a_full_event_is_accepted_with_defaults_filled_in() -> None:
    record = RECORD_TYPES["Event"].model_validate(event())
    assert record.status is Status.PUBLISHED
    assert record.kind is EventKind.AGREEMENT_SIGNING  # type: ignore[attr-defined]
    minimal = RECORD_TYPES["Event"].model_validate(
        {"slug": "e", "title": {"en": "E"}, "date": {"year": 2000}}
    )
    assert minimal.tags == [] and minimal.places == [] and minimal.end_date is None  # type: ignore[attr-defined]
    assert minimal.kind is EventKind.OTHER and minimal.milestone is False  # type: ignore[attr-defined]


def test_every_content_type_has_a_record_and_a_section() -> None:
    assert set(RECORD_TYPES) == {content.name for content in CONTENT_TYPES}
    document = DOCUMENT_TYPE.model_validate({})
    assert document.version == FORMAT_VERSION
    for content in CONTENT_TYPES:
        assert document.records(content) == []


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"date": {"year": 1799}}, "date", "year must be between 1800 and 2200"),
        ({"date": {"year": 2201}}, "date", "year must be between 1800 and 2200"),
        ({"date": {"year": 2001, "month": 13}}, "date", "month must be between 1 and 12"),
        ({"date": {"year": 2001, "month": 2, "day": 29}}, "date", "day must be between 1 and 28"),
        ({"date": {"year": 2001, "day": 3}}, "date", "a day needs a month"),
        ({"end_date": {"year": 2012}}, "", "end_date: the end date must come after the start date"),
        ({"title": {"en": "   "}}, "title.en", "must not be blank"),
        ({"title": {"en": ""}}, "title.en", "at least 1 character"),
        ({"title": {"en": "x" * 301}}, "title.en", "at most 300 characters"),
        ({"title": {"en": "ok", "zh_tw": "x" * 301}}, "title.zh_tw", "at most 300 characters"),
        ({"summary": {"en": "x" * 20_001}}, "summary.en", "at most 20000 characters"),
        ({"places": [{"en": "x" * 201}]}, "places.0.en", "at most 200 characters"),
        ({"places": [{"en": " "}]}, "places.0.en", "must not be blank"),
        ({"slug": "Not-A-Slug"}, "slug", "should match pattern"),
        ({"slug": "a--b"}, "slug", "should match pattern"),
        ({"slug": "-a"}, "slug", "should match pattern"),
        ({"slug": "a" * 121}, "slug", "at most 120 characters"),
        ({"tags": ["Trade"]}, "tags.0", "should match pattern"),
        ({"tags": ["t" * 61]}, "tags.0", "at most 60 characters"),
        ({"tags": ["aeo", "aeo"]}, "", "tags: a tag is listed twice"),
        ({"tags": [f"t{n}" for n in range(21)]}, "", "tags: at most 20 tags per event (21 given)"),
        (
            {"places": [{"en": f"p{n}"} for n in range(21)]},
            "",
            "places: at most 20 places per event (21 given)",
        ),
        ({"kind": "PARTY"}, "kind", "Input should be"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
        ({"title": None}, "title", "Field required"),
        ({"date": None}, "date", "Field required"),
        ({"published_at": "2024-05-01T09:00:00"}, "published_at", "timezone"),
    ],
)
def test_events_refused_name_the_record_and_the_field(
    changes: dict[str, Any], where: str, message: str
) -> None:
    text = refusal("events", event(**changes))
    prefix = f"file.yaml: events[0] (slug {changes.get('slug', EVENT['slug'])})"
    assert text.startswith(prefix + (f": {where}: " if where else ": ")), text
    assert message in text, text


def test_a_control_character_is_refused_where_it_is() -> None:
    # docs/editing.md: "events[3] (slug 1999-ata): title.en: contains U+000B ..."
    text = refusal("events", event(slug="1999-ata", title={"en": "Vertical\x0btab"}))
    assert text == (
        "file.yaml: events[0] (slug 1999-ata): title.en: contains U+000B at position 8, "
        "a control character (only tab, line feed and carriage return are allowed)"
    )
    assert "summary.zh_tw: contains U+0000 at position 1" in refusal(
        "events", event(summary={"zh_tw": "a\x00"})
    )
    assert "places.0.zh_tw: contains U+FFFE" in refusal(
        "events", event(places=[{"en": "a", "zh_tw": "\ufffe"}])
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"short_name": "x" * 41}, "short_name", "at most 40 characters"),
        ({"country": "ch"}, "country", "should match pattern"),
        ({"country": "CHE"}, "country", "should match pattern"),
        ({"website": "ftp://example.org"}, "website", "should match pattern"),
        ({"website": "https://" + "x" * 493}, "website", "at most 500 characters"),
        ({"name": {"en": "\t"}}, "name.en", "must not be blank"),
    ],
)
def test_partners_refused(changes: dict[str, Any], field: str, message: str) -> None:
    text = refusal("partners", {**PARTNER, **changes})
    assert text.startswith(f"file.yaml: partners[0] (slug wto): {field}: "), text
    assert message in text


def test_partner_text_fields_accepted() -> None:
    for website in ("http://example.org", "https://example.org/a?b=c"):
        RECORD_TYPES["Partner"].model_validate({**PARTNER, "website": website})
    RECORD_TYPES["Partner"].model_validate({**PARTNER, "country": None, "short_name": None, "website": None})


def test_exhibit_images_are_urls_or_paths() -> None:
    for url in ("/images/u.jpg", "https://example.org/u.jpg"):
        RECORD_TYPES["Exhibit"].model_validate({**EXHIBIT, "image_url": url})
    for url in ("images/u.jpg", "javascript:alert(1)", "/with space"):
        assert "image_url: " in refusal("exhibits", {**EXHIBIT, "image_url": url})


def test_stored_rows_written_before_a_rule_stay_readable() -> None:
    """With the STORED context (rows read back), text is cleaned and list limits are not applied."""
    stored = event(title={"en": "Vertical\x0btab"}, tags=[f"t{n}" for n in range(25)])
    record = RECORD_TYPES["Event"].model_validate(stored, context=STORED)
    assert record.title.en == "Verticaltab"  # type: ignore[attr-defined]
    assert len(record.tags) == 25  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        RECORD_TYPES["Event"].model_validate(stored)


def test_document_level_checks() -> None:
    with pytest.raises(DocumentError, match="expected a mapping with partners"):
        parse_document("f.json", [EVENT])
    with pytest.raises(DocumentError, match=r"version: unsupported format version 2 \(expected 1\)"):
        parse_document("f.json", {"version": 2})
    with pytest.raises(
        DocumentError, match=r"^f.json: events\[1\] \(slug a\): slug: duplicate of events\[0\]$"
    ):
        parse_document("f.json", {"events": [event(slug="a"), event(slug="a")]})
    with pytest.raises(DocumentError, match="Extra inputs"):
        parse_document("f.json", {"people": []})


def test_the_same_slug_in_two_types_is_fine() -> None:
    document = parse_document("f.json", {"events": [event(slug="wto")], "partners": [PARTNER]})
    assert [record.slug for record in document.records(CONTENT_TYPES[0])] == ["wto"]


def test_at_most_twenty_problems_are_listed() -> None:
    records = [event(slug=f"e{n}", date={"year": 1}) for n in range(25)]
    lines = refusal("events", records[0]).splitlines()
    assert len(lines) == 1
    with pytest.raises(DocumentError) as refused:
        parse_document("f.yaml", {"events": records})
    lines = str(refused.value).splitlines()
    assert len(lines) == 21 and lines[-1] == "f.yaml: ... and 5 more problems"


def test_merged_documents_keep_every_record_in_order() -> None:
    first = parse_document("a", {"events": [event(slug="a")], "partners": [PARTNER]})
    second = parse_document("b", {"events": [event(slug="b")]})
    merged = merge_documents([first, second])
    by_plural = {content.plural: content for content in CONTENT_TYPES}
    assert [record.slug for record in merged.records(by_plural["events"])] == ["a", "b"]
    assert [record.slug for record in merged.records(by_plural["partners"])] == ["wto"]


def test_a_schedule_is_carried_only_when_set_and_only_by_unpublished_content() -> None:
    record_type = RECORD_TYPES["Event"]
    draft = record_type.model_validate({**EVENT, "status": "DRAFT"})
    assert "scheduled_at" not in draft.model_dump(mode="json")  # exports and revisions stay as they were
    scheduled = record_type.model_validate(
        {**EVENT, "status": "DRAFT", "scheduled_at": "2027-03-01T02:00:00Z"}
    )
    assert scheduled.model_dump(mode="json")["scheduled_at"] == "2027-03-01T02:00:00Z"
    archived = record_type.model_validate(
        {**EVENT, "status": "ARCHIVED", "scheduled_at": "2027-03-01T02:00:00Z"}
    )
    assert archived.scheduled_at is not None
    with pytest.raises(ValidationError, match="scheduled_at: published content has no scheduled publish"):
        record_type.model_validate({**EVENT, "status": "PUBLISHED", "scheduled_at": "2027-03-01T02:00:00Z"})
    with pytest.raises(ValidationError, match="timezone"):
        record_type.model_validate({**EVENT, "status": "DRAFT", "scheduled_at": "2027-03-01T10:00:00"})
    document = parse_document(
        "x.yaml", {"events": [{**EVENT, "status": "DRAFT", "scheduled_at": "2027-03-01T10:00:00+08:00"}]}
    )
    assert document.records(CONTENT_TYPES[-1])[0].scheduled_at.isoformat() == "2027-03-01T10:00:00+08:00"  # type: ignore[union-attr]

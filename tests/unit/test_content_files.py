"""accord.content.files: content documents as YAML and JSON files, written and read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from accord.content.document import ContentDocument, DocumentError, parse_document
from accord.content.files import (
    FileFormat,
    bundled_fixtures_dir,
    dump_document,
    fixture_files,
    format_for,
    read_document,
    read_raw,
)

SMALL: dict[str, Any] = {
    "partners": [{"slug": "wto", "name": {"en": "World Trade Organization", "zh_tw": "世界貿易組織"}}],
    "agreements": [{"slug": "mra", "title": {"en": "MRA"}, "signed_on": {"year": 2013}, "parties": ["wto"]}],
    "exhibits": [{"slug": "uniform", "title": {"en": "Uniform"}, "origin": "wto"}],
    "events": [
        {
            "slug": "e",
            "title": {"en": "E", "zh_tw": "事"},
            "date": {"year": 2013, "month": 5, "day": 3},
            "places": [{"en": "Taipei", "zh_tw": "臺北"}],
            "tags": ["aeo"],
            "partners": ["wto"],
            "published_at": "2024-05-01T09:00:00+00:00",
        }
    ],
}


@pytest.fixture
def small() -> ContentDocument:
    return parse_document("small", SMALL)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.json", FileFormat.JSON),
        ("a.JSON", FileFormat.JSON),
        ("a.yaml", FileFormat.YAML),
        ("a.yml", FileFormat.YAML),
    ],
)
def test_format_for(name: str, fmt: FileFormat) -> None:
    assert format_for(Path(name)) is fmt


def test_unknown_suffixes_are_refused() -> None:
    with pytest.raises(DocumentError, match=r"a.txt: unknown file type '.txt': use .yaml, .yml or .json"):
        format_for(Path("a.txt"))


@pytest.mark.parametrize("fmt", list(FileFormat))
def test_a_dumped_document_reads_back_the_same(small: ContentDocument, fmt: FileFormat) -> None:
    data = dump_document(small, fmt)
    assert data.endswith(b"\n")
    raw = orjson.loads(data) if fmt is FileFormat.JSON else yaml.safe_load(data)
    assert parse_document("again", raw) == small
    assert dump_document(parse_document("again", raw), fmt) == data  # byte for byte


def test_yaml_keeps_chinese_readable_and_fields_in_declaration_order(small: ContentDocument) -> None:
    text = dump_document(small, FileFormat.YAML).decode()
    assert "世界貿易組織" in text and "\\u" not in text
    assert list(yaml.safe_load(text)) == ["version", "partners", "agreements", "exhibits", "events"]
    event = yaml.safe_load(text)["events"][0]
    assert list(event)[:2] == ["slug", "status"]


def test_files_are_read_by_their_suffix(tmp_path: Path, small: ContentDocument) -> None:
    for fmt, suffix in ((FileFormat.JSON, ".json"), (FileFormat.YAML, ".yml")):
        path = tmp_path / f"content{suffix}"
        path.write_bytes(dump_document(small, fmt))
        assert read_document(path) == small


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bad.json", b'{"events": [', "bad.json: not valid JSON"),
        ("bad.yaml", b"events: [unclosed", "bad.yaml: not valid YAML"),
        ("latin1.yaml", b"title: caf\xe9", "latin1.yaml: not valid YAML"),  # not UTF-8
        ("list.json", b"[]", "list.json: expected a mapping with partners, agreements, exhibits and events"),
    ],
)
def test_unreadable_files_are_named(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError) as refused:
        read_document(path)
    assert str(refused.value).startswith(f"{tmp_path}/{message}"), refused.value


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"missing\.yaml: cannot read: No such file or directory"):
        read_raw(tmp_path / "missing.yaml")


def test_fixture_files_are_the_content_files_in_name_order(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.json", "c.yml", "notes.txt", "d.YAML"):
        (tmp_path / name).write_text("{}")
    assert [path.name for path in fixture_files(tmp_path)] == ["a.json", "b.yaml", "c.yml", "d.YAML"]


def test_the_bundled_fixtures_parse() -> None:
    files = fixture_files(bundled_fixtures_dir())
    assert [path.name for path in files] == ["seed.yaml"]
    document = read_document(files[0])
    assert len(document.events) == 12  # type: ignore[attr-defined]

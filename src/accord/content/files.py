"""Reading and writing content documents as YAML or JSON files."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson
import yaml

from accord.content.document import ContentDocument, DocumentError, parse_document


class FileFormat(StrEnum):
    JSON = "json"
    YAML = "yaml"


def format_for(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return FileFormat.JSON
    if suffix in (".yaml", ".yml"):
        return FileFormat.YAML
    raise DocumentError(f"{path}: unknown file type {suffix!r}: use .yaml, .yml or .json")


def read_raw(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        if format_for(path) is FileFormat.JSON:
            return orjson.loads(data)
        return yaml.safe_load(data)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise DocumentError(f"{path}: not valid {format_for(path).value.upper()}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text: {exc}") from None


def read_document(path: Path) -> ContentDocument:
    return parse_document(str(path), read_raw(path))


def fixture_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json"))


def dump_document(document: ContentDocument, fmt: FileFormat) -> bytes:
    data = document.model_dump(mode="json")
    if fmt is FileFormat.JSON:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return text.encode()


def bundled_fixtures_dir() -> Path:
    """The seed content: ``fixtures/`` of a source checkout, or the copy packed into the wheel."""
    package = Path(__file__).resolve().parent.parent
    packed = package / "bundled_fixtures"
    if packed.is_dir():
        return packed
    return package.parent.parent / "fixtures"

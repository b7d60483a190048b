"""What the models leave to hand-written migrations, for Alembic's comparisons."""

from __future__ import annotations

from typing import Any

# Objects Alembic must not manage from the models: the full-text search structures are
# backend-specific (an FTS5 virtual table on SQLite, expression indexes on PostgreSQL) and are
# created by hand-written migrations.
UNMANAGED_PREFIXES = ("search_fts", "ix_search_document_fts", "ix_search_document_trgm")
# PostgreSQL's stored tsvector of each search document (migration 0005), a generated column.
UNMANAGED_COLUMNS = ("body_vector",)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if name is None:
        return True
    if name.startswith(UNMANAGED_PREFIXES):
        return False
    if type_ == "column" and reflected and name in UNMANAGED_COLUMNS:
        return False
    # SQLite's FTS5 shadow tables (search_fts_data, _idx, _content, _docsize, _config).
    return not (type_ == "table" and reflected and name.startswith("search_fts"))

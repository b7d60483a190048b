"""Search queries over ``search_document``: ranked, in both languages, on SQLite and PostgreSQL.

SQLite: the FTS5 trigram index answers terms of three or more characters (ranked with bm25);
shorter terms, common in Chinese ('海關'), fall back to LIKE. PostgreSQL: every term must occur
(ILIKE, served by the pg_trgm index) and results are ranked by ts_rank, then by how early the
first term occurs (titles come first in the indexed text).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, func, literal_column, or_, select, table

from accord.models import SearchDocument
from accord.resolvers.errors import BadInput

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
TRIGRAM = 3

documents = SearchDocument.__table__  # type: ignore[attr-defined]
# The FTS5 virtual table (created by a migration, not by the models).
FTS = table("search_fts", column("rowid"))


def terms_of(query: str, *, field: str = "query") -> list[str]:
    if len(query) > MAX_QUERY_LENGTH:
        raise BadInput(f"{field} must be at most {MAX_QUERY_LENGTH} characters", field=field)
    terms = [term for term in query.split() if term]
    if not terms:
        raise BadInput(f"{field} must contain a word to search for", field=field)
    if len(terms) > MAX_TERMS:
        raise BadInput(f"{field} may contain at most {MAX_TERMS} words", field=field)
    return terms


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(term: str) -> ColumnElement[bool]:
    pattern = _like_pattern(term)
    return or_(
        documents.c.body_en.ilike(pattern, escape="\\"), documents.c.body_zh.ilike(pattern, escape="\\")
    )


def _fts5_query(terms: list[str]) -> str:
    # Each term as an FTS5 string: with the trigram tokenizer that is a substring match.
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def matching(
    dialect: str, query: str, statuses: tuple[str, ...], *, kind: str | None = None, field: str = "query"
) -> Select[Any]:
    """SELECT kind, ref_id, rank of matching documents, best first (lower rank is better)."""
    terms = terms_of(query, field=field)
    conditions: list[ColumnElement[bool]] = [documents.c.status.in_(statuses)]
    if kind is not None:
        conditions.append(documents.c.kind == kind)
    if dialect == "sqlite":
        return _sqlite(terms, conditions)
    return _postgres(terms, conditions)


def _sqlite(terms: list[str], conditions: list[ColumnElement[bool]]) -> Select[Any]:
    long_terms = [term for term in terms if len(term) >= TRIGRAM]
    short_terms = [term for term in terms if len(term) < TRIGRAM]
    conditions = conditions + [_contains(term) for term in short_terms]
    position = func.min(
        func.coalesce(func.nullif(func.instr(documents.c.body_en, terms[0]), 0), 1_000_000),
        func.coalesce(func.nullif(func.instr(documents.c.body_zh, terms[0]), 0), 1_000_000),
    )
    if not long_terms:
        return (
            select(documents.c.kind, documents.c.ref_id, position.label("rank"))
            .where(*conditions)
            .order_by(position, documents.c.id)
        )
    rank: ColumnElement[float] = literal_column("bm25(search_fts)")
    return (
        select(documents.c.kind, documents.c.ref_id, rank.label("rank"))
        .select_from(FTS)
        .join(documents, documents.c.id == FTS.c.rowid)
        .where(literal_column("search_fts").op("MATCH")(_fts5_query(long_terms)), *conditions)
        .order_by(rank, position, documents.c.id)
    )


def _postgres(terms: list[str], conditions: list[ColumnElement[bool]]) -> Select[Any]:
    # Inline SQL literals, not bound parameters: the expressions must read exactly like the ones
    # the indexes were built on (migration 0002), or PostgreSQL will not use them.
    body = documents.c.body_en.op("||")(literal_column("' '")).op("||")(documents.c.body_zh)
    simple: ColumnElement[str] = literal_column("'simple'::regconfig")
    vector = func.to_tsvector(simple, body)
    query = func.plainto_tsquery(simple, " ".join(terms))
    # Normalisation 2 divides by the document length, as bm25 does on SQLite: a partner whose name
    # is the query outranks a long summary that mentions it.
    score = func.ts_rank(vector, query, literal_column("2"))
    position = func.strpos(func.lower(body), terms[0].lower())
    matches = [body.ilike(_like_pattern(term), escape="\\") for term in terms]
    return (
        select(documents.c.kind, documents.c.ref_id, (-score).label("rank"))
        .where(*conditions, and_(*matches))
        .order_by(score.desc(), position, documents.c.id)
    )


def matching_ids(dialect: str, query: str, statuses: tuple[str, ...], kind: str, field: str) -> Select[Any]:
    """The ids of one kind that match: a subquery for the ``text`` filters."""
    ranked = matching(dialect, query, statuses, kind=kind, field=field).order_by(None).subquery()
    return select(ranked.c.ref_id)

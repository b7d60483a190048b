"""Search queries over ``search_document``: ranked, in both languages, on SQLite and PostgreSQL.

SQLite: the FTS5 trigram index answers terms of three or more characters (ranked with bm25);
shorter terms, common in Chinese ('海關'), fall back to LIKE. PostgreSQL: every term must occur
(ILIKE, served by the pg_trgm index) and results are ranked by ts_rank over the stored tsvector,
then by how early the first term occurs (titles come first in the indexed text).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, or_, select, table

from accord.core.errors import BadInput
from accord.core.text import check_argument
from accord.models import SearchDocument

MAX_QUERY_LENGTH = 200
MAX_TERMS = 10
TRIGRAM = 3

documents = SearchDocument.__table__  # type: ignore[attr-defined]
# The FTS5 virtual table (created by a migration, not by the models).
FTS = table("search_fts", column("rowid"))


def terms_of(query: str, *, field: str = "query") -> list[str]:
    check_argument(query, field)
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


# Ranking a broad query over every match would cost seconds on large collections (a common word
# matches most documents); only the first RANKED_CANDIDATES matches are ranked. Filters (`text:`)
# do not rank, and see every match.
RANKED_CANDIDATES = 2_000


def matching(
    dialect: str, query: str, statuses: tuple[str, ...], *, kind: str | None = None, field: str = "query"
) -> Select[Any]:
    """SELECT kind, ref_id, rank of matching documents, best first (lower rank is better)."""
    terms = terms_of(query, field=field)
    conditions = _visible(statuses, kind)
    if dialect == "sqlite":
        return _sqlite_ranked(terms, conditions)
    return _postgres_ranked(terms, conditions)


def matching_ids(dialect: str, query: str, statuses: tuple[str, ...], kind: str, field: str) -> Select[Any]:
    """The ids of one kind that match, unranked: a subquery for the ``text`` filters."""
    terms = terms_of(query, field=field)
    conditions = _visible(statuses, kind)
    if dialect == "sqlite":
        conditions += _sqlite_matches(terms)
    else:
        conditions += _postgres_matches(terms)
    return select(documents.c.ref_id).where(*conditions)


def _visible(statuses: tuple[str, ...], kind: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [documents.c.status.in_(statuses)]
    if kind is not None:
        conditions.append(documents.c.kind == kind)
    return conditions


def _split(terms: list[str]) -> tuple[list[str], list[str]]:
    return [t for t in terms if len(t) >= TRIGRAM], [t for t in terms if len(t) < TRIGRAM]


def _fts_rowids(long_terms: list[str]) -> Select[Any]:
    return select(FTS.c.rowid).where(literal_column("search_fts").op("MATCH")(_fts5_query(long_terms)))


def _sqlite_matches(terms: list[str]) -> list[ColumnElement[bool]]:
    long_terms, short_terms = _split(terms)
    conditions = [_contains(term) for term in short_terms]
    if long_terms:
        conditions.append(documents.c.id.in_(_fts_rowids(long_terms)))
    return conditions


def _first_position(term: str) -> ColumnElement[int]:
    return func.min(
        func.coalesce(func.nullif(func.instr(documents.c.body_en, term), 0), 1_000_000),
        func.coalesce(func.nullif(func.instr(documents.c.body_zh, term), 0), 1_000_000),
    )


def _sqlite_ranked(terms: list[str], conditions: list[ColumnElement[bool]]) -> Select[Any]:
    long_terms, short_terms = _split(terms)
    conditions = conditions + [_contains(term) for term in short_terms]
    position = _first_position(terms[0])
    if not long_terms:
        candidates = select(documents.c.id).where(*conditions).limit(RANKED_CANDIDATES).scalar_subquery()
        return (
            select(documents.c.kind, documents.c.ref_id, position.label("rank"))
            .where(documents.c.id.in_(candidates))
            .order_by(position, documents.c.id)
        )
    # The candidates are the first matches by rowid; FTS5 walks its index in rowid order, so
    # bounding the rowid bounds the work bm25 does.
    first = _fts_rowids(long_terms).order_by(FTS.c.rowid).limit(RANKED_CANDIDATES).subquery()
    bound = select(func.max(first.c.rowid)).scalar_subquery()
    rank: ColumnElement[float] = literal_column("bm25(search_fts)")
    return (
        select(documents.c.kind, documents.c.ref_id, rank.label("rank"))
        .select_from(FTS)
        .join(documents, documents.c.id == FTS.c.rowid)
        .where(
            literal_column("search_fts").op("MATCH")(_fts5_query(long_terms)),
            FTS.c.rowid <= bound,
            *conditions,
        )
        .order_by(rank, position, documents.c.id)
    )


def _postgres_body() -> ColumnElement[str]:
    # Inline SQL literals, not bound parameters: the expressions must read exactly like the ones
    # the indexes were built on (migration 0002), or PostgreSQL will not use them.
    body: ColumnElement[str] = documents.c.body_en.op("||")(literal_column("' '")).op("||")(
        documents.c.body_zh
    )
    return body


def _postgres_matches(terms: list[str]) -> list[ColumnElement[bool]]:
    body = _postgres_body()
    return [body.ilike(_like_pattern(term), escape="\\") for term in terms]


def _postgres_ranked(terms: list[str], conditions: list[ColumnElement[bool]]) -> Select[Any]:
    candidates = (
        select(documents.c.id)
        .where(*conditions, *_postgres_matches(terms))
        .limit(RANKED_CANDIDATES)
        .subquery()
    )
    body = _postgres_body()
    simple: ColumnElement[str] = literal_column("'simple'::regconfig")
    # The stored to_tsvector('simple', body) (migration 0005): parsed once, when written.
    vector: ColumnElement[Any] = literal_column("search_document.body_vector")
    query = func.plainto_tsquery(simple, " ".join(terms))
    # Normalisation 2 divides by the document length, as bm25 does on SQLite: a partner whose name
    # is the query outranks a long summary that mentions it.
    score = func.ts_rank(vector, query, literal_column("2"))
    position = func.strpos(func.lower(body), terms[0].lower())
    return (
        select(documents.c.kind, documents.c.ref_id, (-score).label("rank"))
        .join(candidates, candidates.c.id == documents.c.id)
        .order_by(score.desc(), position, documents.c.id)
    )

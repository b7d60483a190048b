"""accord.fastpath.sql_json: the SQL that builds JSON, per building block and per field kind.

SQLite's SQL runs here, against an in-memory database migrated and loaded with a small document,
and the JSON it builds is compared with what Python gives for the same values (PartialDate.label,
to_global_id, pick, datetime.isoformat). PostgreSQL's SQL is checked as text: the live suites
(tests/test_fast_path_equivalence.py among them) run it on a real server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import GraphQLSchema, get_operation_ast, parse
from graphql.execution.collect_fields import collect_fields
from graphql.execution.values import get_variable_values
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, Table, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.content.document import parse_document
from accord.content.model import BY_SINGULAR, EVENT, ContentType
from accord.content.service import load_document
from accord.core.dates import PartialDate
from accord.core.ids import to_global_id
from accord.core.locale import pick
from accord.core.tables import events, exhibits, partners
from accord.core.visibility import EDITOR, PUBLIC, Visibility
from accord.db import create_async_db_engine, create_sync_engine
from accord.fastpath import sql_json
from accord.fastpath.executor import Run
from accord.fastpath.sql_json import MAX_KEYS, Compiled, Dialect, Unsupported, date_label, literal
from accord.migrate import upgrade
from accord.models.columns import UTCDateTime
from accord.models.enums import Locale
from accord.read.db import Reader
from tests.unit.test_core_dates import partial_dates

SQLITE, POSTGRES = Dialect("sqlite"), Dialect("postgresql")
PUBLISHED_AT = "2024-05-01T09:00:00.250000+00:00"
DOCUMENT: dict[str, Any] = {
    "partners": [
        {
            "slug": "wto",
            "name": {"en": "World Trade Organization", "zh_tw": "世界貿易組織"},
            "short_name": "WTO",
            "kind": "INTERNATIONAL_ORGANIZATION",
            "country": "CH",
            "website": "https://www.wto.org/",
        },
        {"slug": "apec", "name": {"en": "APEC"}, "kind": "FORUM", "status": "DRAFT"},
        {"slug": "korea", "name": {"en": "Korea"}, "kind": "ECONOMY", "country": "KR"},
    ],
    "agreements": [
        {
            "slug": "mra",
            "title": {"en": "Mutual recognition", "zh_tw": "相互承認"},
            "kind": "MUTUAL_RECOGNITION",
            "signed_on": {"year": 2013, "month": 5},
            "parties": ["korea", "wto", "apec"],
        }
    ],
    "exhibits": [
        {
            "slug": "uniform",
            "title": {"en": "Uniform"},
            "kind": "UNIFORM",
            "origin": "wto",
            "image_url": "/u.jpg",
        },
        {"slug": "letter", "title": {"en": "Letter"}, "kind": "DOCUMENT", "origin": "apec"},
    ],
    "events": [
        {
            "slug": "period",
            "title": {"en": "A period", "zh_tw": "一段期間"},
            "summary": {"en": "Summary"},
            "date": {"year": 2013, "month": 5, "day": 3},
            "end_date": {"year": 2015},
            "kind": "WORKSHOP",
            "milestone": True,
            "places": [{"en": "Taipei", "zh_tw": "臺北"}, {"en": "Geneva"}, {"en": "Seoul", "zh_tw": "首爾"}],
            "tags": ["zeta", "alpha", "mid"],
            "partners": ["wto", "apec", "korea"],
            "agreements": ["mra"],
            "exhibits": ["letter", "uniform"],
            "published_at": PUBLISHED_AT,
        },
        {"slug": "plain", "title": {"en": "Plain"}, "date": {"year": 1972}, "status": "DRAFT"},
    ],
}


@pytest.fixture(scope="module")
def database() -> Iterator[Engine]:
    engine = create_sync_engine("sqlite://")  # one connection per thread: the database stays
    upgrade(engine)
    load_document(engine, parse_document("sql-json", DOCUMENT))
    with engine.begin() as connection:  # an empty translation, as a row may hold it: read as none
        connection.execute(update(partners).where(partners.c.slug == "korea").values(name_zh=""))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def conn(database: Engine) -> Iterator[Connection]:
    with database.connect() as connection:
        yield connection


@pytest.fixture(scope="module")
def async_engines() -> dict[str, AsyncEngine]:
    """Engines only name the dialect the compiler writes for: nothing connects."""
    return {
        "sqlite": create_async_db_engine("sqlite://"),
        "postgresql": create_async_db_engine("postgresql://accord@127.0.0.1:9/none"),
    }


def compile_lookup(
    schema: GraphQLSchema,
    engine: AsyncEngine,
    query: str,
    *,
    locale: Locale = Locale.EN,
    visibility: Visibility = EDITOR,
    top: bool = True,
) -> Compiled:
    """The SQL of the single root lookup of ``query`` (``event(slug: ...) { ... }`` and the like)."""
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None and schema.query_type is not None
    variables = get_variable_values(schema, operation.variable_definitions or (), {})
    assert not isinstance(variables, list)  # a list holds the errors of variables that do not coerce
    run = Run(schema, document, operation, variables, Reader(engine), locale, visibility)
    ((_key, details),) = collect_fields(
        schema, run.fragments, variables, schema.query_type, operation
    ).grouped_field_set.items()
    return sql_json.node_json(run, BY_SINGULAR[details[0].node.name.value], details, top=top)


def one(conn: Connection, content: ContentType, compiled: Compiled, slug: str) -> Any:
    """The JSON SQLite builds for the row with ``slug``."""
    table = content.table.name
    built = conn.execute(
        text(f"SELECT {compiled.sql} FROM {table} WHERE {table}.slug = :slug"), {"slug": slug}
    )
    return json.loads(built.scalar_one())


def evaluate(conn: Connection, expression: str, **parameters: Any) -> Any:
    return conn.execute(text(f"SELECT {expression}"), parameters).scalar_one()


# -- building blocks, on SQLite -----------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(date=partial_dates(), locale=st.sampled_from(list(Locale)))
def test_date_labels_and_iso_are_pythons(conn: Connection, date: PartialDate, locale: Locale) -> None:
    parts = {"y": date.year, "m": date.month, "d": date.day}
    assert evaluate(conn, date_label(":y", ":m", ":d", locale), **parts) == date.label(locale)
    assert evaluate(conn, SQLITE.iso(":y", ":m", ":d"), **parts) == date.iso


@given(id_=st.integers(1, 2**31 - 1), type_name=st.sampled_from(["Event", "Partner", "Agreement", "Exhibit"]))
def test_global_ids_are_pythons(conn: Connection, id_: int, type_name: str) -> None:
    assert evaluate(conn, SQLITE.global_id(type_name, ":id"), id=id_) == to_global_id(type_name, id_)


@pytest.mark.parametrize("en", ["Customs", "", None])
@pytest.mark.parametrize("zh", ["海關", "", None])
@pytest.mark.parametrize("locale", list(Locale))
def test_pick_is_pythons(conn: Connection, en: str | None, zh: str | None, locale: Locale) -> None:
    assert evaluate(conn, SQLITE.pick(":en", ":zh", locale), en=en, zh=zh) == pick(en, zh, locale)


@pytest.fixture(scope="module")
def moments(database: Engine) -> Table:
    table = Table("moment", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    table.create(database)
    return table


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)))
def test_timestamps_are_strawberrys(conn: Connection, moments: Table, moment: datetime) -> None:
    """datetime.isoformat() of the value SQLAlchemy stored: microseconds only when there are any."""
    conn.execute(moments.delete())
    conn.execute(insert(moments).values(id=1, at=moment))
    stored = conn.execute(select(moments.c.at)).scalar_one()
    assert evaluate(conn, SQLITE.timestamp("moment.at") + " FROM moment") == stored.isoformat()
    assert evaluate(conn, SQLITE.timestamp("NULL")) is None


def test_json_objects_booleans_and_nesting(conn: Connection) -> None:
    built = SQLITE.json_object(
        [
            ("yes", SQLITE.boolean("1 = 1")),
            ("no", SQLITE.boolean("1 = 0")),
            ("text", literal("O'Brien")),
            ("inner", SQLITE.nested(f"CASE WHEN 1 THEN {SQLITE.json_object([('a', '1')])} END")),
            ("none", SQLITE.nested("CASE WHEN 0 THEN 1 END")),
        ]
    )
    assert json.loads(evaluate(conn, built)) == {
        "yes": True,
        "no": False,
        "text": "O'Brien",
        "inner": {"a": 1},  # an object, not a string holding one
        "none": None,
    }


def test_arrays(conn: Connection) -> None:
    rows = "FROM (SELECT 2 AS n UNION ALL SELECT 1 UNION ALL SELECT 3) t"
    assert json.loads(evaluate(conn, SQLITE.array("t.n", rows, "t.n DESC", json_elements=False))) == [3, 2, 1]
    objects = SQLITE.array(SQLITE.json_object([("n", "t.n")]), rows, "t.n")
    assert json.loads(evaluate(conn, objects)) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert json.loads(evaluate(conn, SQLITE.array("t.n", rows + " WHERE 0", "t.n"))) == []


def test_objects_refuse_what_they_cannot_build() -> None:
    with pytest.raises(Unsupported, match="too many fields"):
        SQLITE.json_object([(f"k{n}", "1") for n in range(MAX_KEYS + 1)])
    SQLITE.json_object([(f"k{n}", "1") for n in range(MAX_KEYS)])
    for key in ("a'b", "1a", "a-b", "", "a b"):
        with pytest.raises(Unsupported, match="response key"):
            POSTGRES.json_object([(key, "1")])


def test_literals_quote_quotes() -> None:
    assert literal("it's") == "'it''s'"
    assert literal("") == "''"


# -- building blocks, as PostgreSQL text --------------------------------------------------------


def test_postgresql_building_blocks() -> None:
    assert POSTGRES.json_object([("a", "1"), ("b", "x.y")]) == "json_build_object('a', 1, 'b', x.y)"
    assert POSTGRES.nested("(SELECT 1)") == "(SELECT 1)"  # json values need no wrapping
    assert POSTGRES.boolean("t.flag") == "t.flag"
    assert (
        POSTGRES.array("t.n", "FROM t", "t.n")
        == "(SELECT COALESCE(json_agg(t.n ORDER BY t.n), '[]'::json) FROM t)"
    )
    assert POSTGRES.global_id("Event", "e.id") == (
        "rtrim(translate(encode(convert_to('Event:' || CAST(e.id AS TEXT), 'UTF8'), 'base64'), "
        "'+/', '-_'), '=')"
    )
    iso = POSTGRES.iso("e.year", "e.month", "e.day")
    assert "lpad(CAST(e.year AS TEXT), 4, '0')" in iso and "printf" not in iso
    stamp = POSTGRES.timestamp("e.updated_at")
    assert "(e.updated_at AT TIME ZONE 'UTC')" in stamp and """'YYYY-MM-DD"T"HH24:MI:SS'""" in stamp
    assert "'.US'" in stamp and "'+00:00'" in stamp
    assert (
        POSTGRES.pick("e.en", "e.zh", Locale.EN)
        == SQLITE.pick("e.en", "e.zh", Locale.EN)
        == "COALESCE(e.en, '')"
    )


# -- each field kind, compiled from a selection -------------------------------------------------

EVENT_QUERY = """{ event(slug: "period") { __typename id slug status kind isMilestone publishedAt updatedAt
  title zh: title(locale: ZH_TW) summary zhSummary: summary(locale: ZH_TW)
  places zhPlaces: places(locale: ZH_TW) tags
  date { year month day precision iso label zhLabel: label(locale: ZH_TW) __typename }
  endDate { year month day precision iso label }
  partners { slug name zhName: name(locale: ZH_TW) shortName country website kind }
  agreements { slug signedOn { iso label } parties { slug } }
  exhibits { slug imageUrl origin { slug } } } }"""


def expected_event(conn: Connection, *, locale: Locale, visibility: Visibility) -> dict[str, Any]:
    row = conn.execute(select(events).where(events.c.slug == "period")).one()
    drafts = visibility is EDITOR
    partner_slugs = ["wto", "apec", "korea"] if drafts else ["wto", "korea"]  # linked in this order
    names = {
        "wto": (
            "World Trade Organization",
            "世界貿易組織",
            "WTO",
            "CH",
            "https://www.wto.org/",
            "INTERNATIONAL_ORGANIZATION",
        ),
        "apec": ("APEC", "APEC", None, None, None, "FORUM"),
        "korea": ("Korea", "Korea", None, "KR", None, "ECONOMY"),  # an empty translation reads as English
    }
    zh = locale is Locale.ZH_TW
    return {
        "__typename": "Event",
        "id": to_global_id("Event", row.id),
        "slug": "period",
        "status": "PUBLISHED",
        "kind": "WORKSHOP",
        "isMilestone": True,
        "publishedAt": PUBLISHED_AT,
        "updatedAt": row.updated_at.isoformat(),
        "title": "一段期間" if zh else "A period",
        "zh": "一段期間",
        "summary": "Summary",
        "zhSummary": "Summary",
        "places": ["臺北", "Geneva", "首爾"] if zh else ["Taipei", "Geneva", "Seoul"],
        "zhPlaces": ["臺北", "Geneva", "首爾"],
        "tags": ["zeta", "alpha", "mid"],  # the editor's order
        "date": {
            "year": 2013,
            "month": 5,
            "day": 3,
            "precision": "DAY",
            "iso": "2013-05-03",
            "label": "2013年5月3日至2015年" if zh else "3 May 2013 to 2015",  # the start labels the period
            "zhLabel": "2013年5月3日至2015年",
            "__typename": "PartialDate",
        },
        "endDate": {
            "year": 2015,
            "month": None,
            "day": None,
            "precision": "YEAR",
            "iso": "2015",
            "label": "2015年" if zh else "2015",  # the end alone
        },
        "partners": [
            {
                "slug": slug,
                "name": names[slug][1] if zh else names[slug][0],
                "zhName": names[slug][1],
                "shortName": names[slug][2],
                "country": names[slug][3],
                "website": names[slug][4],
                "kind": names[slug][5],
            }
            for slug in partner_slugs
        ],
        "agreements": [
            {
                "slug": "mra",
                "signedOn": {"iso": "2013-05", "label": "2013年5月" if zh else "May 2013"},
                # by partner id, not in the order the document listed them
                "parties": [{"slug": slug} for slug in partner_slugs],
            }
        ],
        "exhibits": [  # by link order (exhibit id): uniform was loaded first
            {"slug": "uniform", "imageUrl": "/u.jpg", "origin": {"slug": "wto"}},
            {"slug": "letter", "imageUrl": None, "origin": {"slug": "apec"} if drafts else None},
        ],
    }


@pytest.mark.parametrize("visibility", [PUBLIC, EDITOR], ids=["public", "editor"])
@pytest.mark.parametrize("locale", list(Locale))
def test_every_kind_of_an_event_on_sqlite(
    conn: Connection,
    graphql_schema: GraphQLSchema,
    async_engines: dict[str, AsyncEngine],
    locale: Locale,
    visibility: Visibility,
) -> None:
    compiled = compile_lookup(
        graphql_schema, async_engines["sqlite"], EVENT_QUERY, locale=locale, visibility=visibility
    )
    assert compiled.deferred == ()
    assert one(conn, EVENT, compiled, "period") == expected_event(conn, locale=locale, visibility=visibility)


def test_missing_optional_parts_on_sqlite(
    conn: Connection, graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine]
) -> None:
    query = """{ event(slug: "plain") { title zh: title(locale: ZH_TW) summary isMilestone places tags
      publishedAt date { precision iso label zh: label(locale: ZH_TW) } endDate { iso }
      partners { slug } agreements { slug } exhibits { slug } } }"""
    built = one(conn, EVENT, compile_lookup(graphql_schema, async_engines["sqlite"], query), "plain")
    assert built == {
        "title": "Plain",
        "zh": "Plain",
        "summary": "",
        "isMilestone": False,
        "places": [],
        "tags": [],
        "publishedAt": None,  # a draft
        "date": {"precision": "YEAR", "iso": "1972", "label": "1972", "zh": "1972年"},
        "endDate": None,
        "partners": [],
        "agreements": [],
        "exhibits": [],
    }


def test_origins_and_linked_lists_of_other_types_on_sqlite(
    conn: Connection, graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine]
) -> None:
    engine = async_engines["sqlite"]
    exhibit = compile_lookup(
        graphql_schema, engine, '{ exhibit(slug: "letter") { origin { slug } events { slug } } }'
    )
    assert one(conn, BY_SINGULAR["exhibit"], exhibit, "letter") == {
        "origin": {"slug": "apec"},
        "events": [{"slug": "period"}],
    }
    hidden = compile_lookup(
        graphql_schema, engine, '{ exhibit(slug: "letter") { origin { slug } } }', visibility=PUBLIC
    )
    assert one(conn, BY_SINGULAR["exhibit"], hidden, "letter") == {"origin": None}
    partner = compile_lookup(
        graphql_schema, engine, '{ partner(slug: "wto") { agreements { slug events { slug } } } }'
    )
    assert one(conn, BY_SINGULAR["partner"], partner, "wto") == {
        "agreements": [{"slug": "mra", "events": [{"slug": "period"}]}]
    }
    row_id = conn.execute(select(exhibits.c.origin_id).where(exhibits.c.slug == "uniform")).scalar_one()
    assert row_id == conn.execute(select(partners.c.id).where(partners.c.slug == "wto")).scalar_one()


def test_connections_inside_a_lookup_are_left_to_the_executor(
    conn: Connection, graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine]
) -> None:
    query = '{ partner(slug: "wto") { slug recent: events(first: 2) { totalCount } } }'
    compiled = compile_lookup(graphql_schema, async_engines["sqlite"], query)
    assert compiled.deferred == (("recent", "events"),)
    assert one(conn, BY_SINGULAR["partner"], compiled, "wto") == {"slug": "wto", "recent": None}
    with pytest.raises(Unsupported, match=r"Partner\.events below the top level"):
        compile_lookup(graphql_schema, async_engines["sqlite"], query, top=False)
    nested = '{ event(slug: "period") { partners { events { totalCount } } } }'
    with pytest.raises(Unsupported, match="below the top level"):
        compile_lookup(graphql_schema, async_engines["sqlite"], nested)


def test_too_many_keys_step_aside(
    graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine]
) -> None:
    fields = " ".join(f"k{n}: slug" for n in range(MAX_KEYS + 1))
    with pytest.raises(Unsupported):
        compile_lookup(graphql_schema, async_engines["sqlite"], f'{{ event(slug: "period") {{ {fields} }} }}')


# -- each field kind, as PostgreSQL text --------------------------------------------------------


def _balanced(sql: str) -> bool:
    """Parentheses balance outside string literals, and every literal is closed."""
    depth, quoted = 0, False
    for character in sql:
        if character == "'":
            quoted = not quoted
        elif not quoted:
            depth += {"(": 1, ")": -1}.get(character, 0)
            if depth < 0:
                return False
    return depth == 0 and not quoted


@pytest.mark.parametrize("visibility", [PUBLIC, EDITOR], ids=["public", "editor"])
def test_every_kind_of_an_event_as_postgresql_text(
    graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine], visibility: Visibility
) -> None:
    postgres = compile_lookup(
        graphql_schema, async_engines["postgresql"], EVENT_QUERY, locale=Locale.ZH_TW, visibility=visibility
    ).sql
    sqlite = compile_lookup(
        graphql_schema, async_engines["sqlite"], EVENT_QUERY, locale=Locale.ZH_TW, visibility=visibility
    ).sql
    assert _balanced(postgres) and _balanced(sqlite)
    # asyncpg hands json back as bytes for a column of unknown type: the whole object is text.
    assert postgres.startswith("CAST(json_build_object(") and postgres.endswith(" AS TEXT)")
    for sqlite_only in (
        "json_object(",
        "json(",
        "json_group_array",
        "json_each",
        "printf",
        "accord_global_id",
    ):
        assert sqlite_only not in postgres
    for postgres_only in ("json_build_object", "json_agg", "::json", "lpad", "to_char", "convert_to"):
        assert postgres_only not in sqlite
    assert "json_array_elements(event.places) WITH ORDINALITY" in postgres  # places keep their order
    assert "ORDER BY j" in postgres and ".position" in postgres
    statuses = ", ".join(literal(status) for status in visibility.statuses)
    # partners, agreements, their parties, exhibits, their origins: each list sees what the reader may
    assert postgres.count(f"status IN ({statuses})") == sqlite.count(f"status IN ({statuses})") == 5


def test_the_sql_holds_no_client_text(
    graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine]
) -> None:
    """Arguments (a slug) never reach the SQL text: they are the executor's bound parameters."""
    for engine in async_engines.values():
        compiled = compile_lookup(
            graphql_schema, engine, '{ event(slug: "x\'; DROP TABLE event; --") { slug } }'
        )
        assert "DROP" not in compiled.sql


def test_one_statement_per_dialect_stays_small(
    graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine]
) -> None:
    for engine in async_engines.values():
        compiled = compile_lookup(graphql_schema, engine, EVENT_QUERY)
        assert compiled.size == len(compiled.sql) < 20_000


# -- selections nested deep ---------------------------------------------------------------------

RELATIONS = {
    "Event": [("partners", "Partner"), ("agreements", "Agreement"), ("exhibits", "Exhibit")],
    "Partner": [("agreements", "Agreement")],
    "Agreement": [("parties", "Partner"), ("events", "Event"), ("exhibits", "Exhibit")],
    "Exhibit": [("origin", "Partner"), ("events", "Event"), ("agreements", "Agreement")],
}
LEAVES = {
    "Event": [
        "slug",
        "updatedAt",
        "publishedAt",
        "date { label iso }",
        "endDate { label }",
        "places",
        "tags",
    ],
    "Partner": ["slug", "updatedAt", "name(locale: ZH_TW)", "id"],
    "Agreement": ["slug", "signedOn { label iso }", "title(locale: ZH_TW)", "updatedAt"],
    "Exhibit": ["slug", "updatedAt", "title(locale: ZH_TW)", "imageUrl"],
}


@st.composite
def selections(draw: st.DrawFn, type_name: str = "Event", depth: int = 6) -> str:
    parts = draw(st.lists(st.sampled_from(LEAVES[type_name]), min_size=1, max_size=3, unique=True))
    if depth > 0 and draw(st.integers(0, 5)) > 0:
        field, target = draw(st.sampled_from(RELATIONS[type_name]))
        parts.append(f"{field} {{ {draw(selections(target, depth - 1))} }}")
    return " ".join(parts)


@settings(max_examples=60, deadline=None)
@given(selection=selections())
def test_deep_selections_run_on_sqlite_or_step_aside(
    conn: Connection, graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine], selection: str
) -> None:
    """SQLite's parser keeps nested expressions on a small stack ("parser stack overflow"): what
    the compiler builds must parse there, or be left to strawberry (Unsupported), never fail."""
    query = f'{{ event(slug: "period") {{ {selection} }} }}'
    try:
        compiled = compile_lookup(graphql_schema, async_engines["sqlite"], query, visibility=PUBLIC)
    except Unsupported:
        assert selection.count("{") >= 4  # only selections nested several lists deep step aside
        return
    one(conn, EVENT, compiled, "period")
    # PostgreSQL has no such limit: it compiles whatever the selection.
    compile_lookup(graphql_schema, async_engines["postgresql"], query, visibility=PUBLIC)


def test_three_linked_lists_deep_are_compiled_on_sqlite(
    conn: Connection, graphql_schema: GraphQLSchema, async_engines: dict[str, AsyncEngine]
) -> None:
    query = '{ event(slug: "period") { agreements { parties { agreements { slug updatedAt } } } } }'
    built = one(conn, EVENT, compile_lookup(graphql_schema, async_engines["sqlite"], query), "period")
    assert built["agreements"][0]["parties"][0]["agreements"][0]["slug"] == "mra"


@pytest.mark.parametrize(
    ("sql", "depth"),
    [("1", 0), ("f(a, (b))", 2), ("f(')(((') || g(x)", 1), ("'it''s (' || (a)", 1), ("((a)) (b)", 2)],
)
def test_nesting_counts_parentheses_outside_literals(sql: str, depth: int) -> None:
    assert sql_json.nesting(sql) == depth

"""The compiled read path gives exactly the general executor's answers (the reference)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import (
    ArgumentNode,
    FieldNode,
    IntValueNode,
    NameNode,
    StringValueNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema
from sqlalchemy import Connection, event, select, text

from accord.content.service import load_document
from accord.content.synth import synthesize
from accord.core import tables
from accord.core.visibility import EDITOR, PUBLIC, Visibility
from accord.db import create_async_db_engine
from accord.fastpath.executor import Unsupported, execute_fast
from accord.fastpath.sql_json import WIDTH_RANGE, snapped_width
from accord.media import (
    MediaLimits,
    Owner,
    OwnerKind,
    attach_image,
    describe_image,
    process_image,
    save_image,
)
from accord.media.formats import snap_width
from accord.models.enums import Locale
from accord.read.db import Reader, statement_engines
from accord.schema import build_schema
from accord.schema.context import Context
from tests.conftest import BACKENDS
from tests.harness import images as files
from tests.harness.databases import migrated_engine, seed
from tests.harness.postgres import PostgresServer

SCHEMA = build_schema()
OUTCOMES = {"compared": 0, "skipped": 0}
DOCS = Path(__file__).parent.parent / "docs" / "queries"
SUPPORTED_ROOTS = [
    "events",
    "partners",
    "agreements",
    "exhibits",
    "event",
    "partner",
    "agreement",
    "exhibit",
    "timeline",
]
FRONT_PAGE = """{ events(first: 50, orderBy: DATE_DESC) { edges { node { title date { label }
  partners { name shortName } agreements { title parties { name } }
  exhibits { title origin { name } } } } } }"""
MIXED = """query($after: String) { a: partner(slug: "wto") {
  ...P events(first: 3, orderBy: DATE_DESC, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id __typename title(locale: ZH_TW) endDate { iso label(locale: ZH_TW) }
  date { year month day precision iso } places tags status publishedAt updatedAt } } } }
  timeline(yearFrom: 2000) { year events { slug kind isMilestone summary } }
  exhibits { totalCount edges { node {
    kind imageUrl description origin { slug } events { slug } agreements { slug } } } } }
fragment P on Partner { __typename id name shortName country website kind status
  agreements { signedOn { iso label } parties { slug } exhibits { title } events { slug } } }"""

# Every field the database builds as JSON (accord.fastpath.sql_json), in lists the compiled path
# answers: periods, places, tags, drafts' links, origins, both locales by argument and by request.
COMPILED = """{ events(first: 100, orderBy: DATE_DESC) { edges { cursor node { __typename id slug status
  updatedAt publishedAt
  title zh: title(locale: ZH_TW) summary kind isMilestone places en: places(locale: EN) tags
  date { year month day precision iso label zh: label(locale: ZH_TW) __typename }
  endDate { iso precision label(locale: ZH_TW) }
  partners { id name shortName kind country website status agreements { slug } }
  agreements { title signedOn { iso label } parties { slug name(locale: ZH_TW) } exhibits { slug } }
  exhibits { title description imageUrl origin { id name } events { slug } agreements { slug }
    images { id alt url(width: 640) srcset(format: JPEG) } }
  images { __typename id width height credit placeholder dominantColor alt zh: alt(locale: ZH_TW)
    url w: url(width: 500, format: WEBP) one: url(width: 1, format: JPEG) big: url(width: 99999)
    low: url(width: -2147483648, format: AVIF) srcset s: srcset(format: AVIF) } } } }
  partners(first: 60) { pageInfo { hasNextPage endCursor } edges { node { slug name updatedAt agreements {
    title events { slug date { label } } } } } }
  agreements(first: 40) { totalCount edges { node { id kind summary signedOn { year month day } } } }
  exhibits(first: 40) { edges { node { slug kind origin { slug } images { id width srcset } } } } }"""
COMPILED_ROOTS = 4


# Images of every width band (accord.media.formats.WIDTH_BANDS), at and around each variant width.
IMAGE_WIDTHS = (90, 320, 321, 500, 640, 641, 1000, 1280, 1281, 2048, 2049, 2600)
MEDIA_BASE = "https://accord.example"


def _filled(database: str) -> str:
    seed(database)
    engine = migrated_engine(database)
    load_document(engine, synthesize(events=400, partners=60, seed=11))  # with drafts, origins, periods
    with engine.begin() as conn:
        _add_images(conn)
    engine.dispose()
    return database


def _add_images(conn: Connection) -> None:
    """Images on the newest events and the first exhibits (some with two, one with a credit and a
    Chinese alt text, some on drafts)."""
    stored = []
    for n, width in enumerate(IMAGE_WIDTHS):
        data = files.encode(files.marked((width, max(1, width * 2 // 3))), "PNG")
        alt = {"en": f"Picture {n}", "zh_tw": f"圖片 {n}" if n % 2 else None}
        image, _ = save_image(
            conn, process_image(data, MediaLimits()), describe_image(alt, "Archive" if n % 3 else None)
        )
        stored.append(image.id)
    events = conn.execute(
        select(tables.events.c.id).order_by(tables.events.c.sort_key.desc()).limit(30)
    ).scalars()
    for n, event_id in enumerate(events):
        for image_id in stored[n % len(stored) : n % len(stored) + 1 + n % 2]:
            attach_image(conn, image_id, Owner(OwnerKind.EVENT, event_id))
    exhibits = conn.execute(select(tables.exhibits.c.id).order_by(tables.exhibits.c.id).limit(8)).scalars()
    for n, exhibit_id in enumerate(exhibits):
        attach_image(conn, stored[-1 - n], Owner(OwnerKind.EXHIBIT, exhibit_id))


@pytest.fixture(scope="module", params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Both databases: the compiled path writes SQL of each dialect (accord.fastpath.sql_json)."""
    if request.param == "sqlite":
        yield _filled(f"sqlite:///{tmp_path_factory.mktemp('equivalence')}/accord.db")
        return
    pg: PostgresServer = request.getfixturevalue("postgres")
    name = pg.create_database()
    try:
        yield _filled(pg.url(name))
    finally:
        pg.drop_database(name)


async def _both(
    url: str, query: str, variables: dict[str, Any], locale: Locale, visibility: Visibility
) -> tuple[Any, Any]:
    engine = create_async_db_engine(url)
    try:
        context = Context(db=Reader(engine), locale=locale, visibility=visibility, media_base=MEDIA_BASE)
        general = await SCHEMA.execute(query, variable_values=variables, context_value=context)
        await context.db.close()
        if general.errors:
            return None, None
        db = Reader(engine)
        fast: Any
        try:
            fast, _version = await execute_fast(
                SCHEMA._schema,
                parse(query),
                None,
                variables,
                db=db,
                locale=locale,
                visibility=visibility,
                media_base=MEDIA_BASE,
            )
        except Unsupported:
            fast = "unsupported"
        finally:
            await db.close()
        return general.data, fast
    finally:
        await engine.dispose()


def _same_json(fast: Any, general: Any) -> bool:
    """Equal values with keys in the same order; the fast answer may embed JSON the database built
    (orjson Fragments), so it is compared as orjson serializes it."""
    return json.dumps(json.loads(orjson.dumps(fast))) == json.dumps(general)


def _examples() -> list[tuple[str, dict[str, Any]]]:
    examples: list[tuple[str, dict[str, Any]]] = [(FRONT_PAGE, {}), (MIXED, {}), (COMPILED, {})]
    for path in sorted(DOCS.glob("*.graphql")):
        text = path.read_text()
        variables: dict[str, Any] = {}
        for line in text.splitlines():
            if line.startswith("# variables:"):
                variables = json.loads(line.removeprefix("# variables:"))
        if "subscription" not in text and "mutation" not in text:
            examples.append((text, variables))
    return examples


@pytest.mark.parametrize("visibility", [PUBLIC, EDITOR], ids=["public", "editor"])
@pytest.mark.parametrize("locale", list(Locale))
async def test_documented_queries_match(url: str, locale: Locale, visibility: Visibility) -> None:
    compared = 0
    for query, variables in _examples():
        general, fast = await _both(url, query, variables, locale, visibility)
        if fast == "unsupported":
            continue
        assert _same_json(fast, general), query
        compared += 1
    assert compared >= 7


async def test_every_list_of_the_compiled_example_is_one_statement(url: str) -> None:
    """COMPILED really takes the compiled path (else the comparison above proves nothing about it)."""
    engine = create_async_db_engine(url)
    statements: list[str] = []
    for sql_engine in statement_engines(engine):
        event.listen(sql_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    db = Reader(engine)
    try:
        data, _version = await execute_fast(
            SCHEMA._schema,
            parse(COMPILED),
            None,
            {},
            db=db,
            locale=Locale.ZH_TW,
            visibility=EDITOR,
        )
    finally:
        await db.close()
        await engine.dispose()
    assert len(statements) == COMPILED_ROOTS + 1  # + the agreements' totalCount
    edges = json.loads(orjson.dumps(data))["events"]["edges"]
    assert len(edges) == 100
    shown = [image for edge in edges for image in edge["node"]["images"]]
    assert len(shown) >= 30 and {image["width"] for image in shown} >= set(IMAGE_WIDTHS[:8])


LOOKUP_SLUGS = {
    "event": "2001-mutual-assistance-agreement-with-us-customs",
    "partner": "wto",
    "agreement": "synth-agreement-000003",
    "exhibit": "synth-exhibit-000002",
}


class _Tame(Visitor):
    """Makes a generated document likely to run: in-range page sizes, lookups by a real slug,
    no random cursors or filters (the property under test is the answer, not the refusal)."""

    def enter_field(self, node: FieldNode, *_args: Any) -> FieldNode:
        name = node.name.value
        if name in LOOKUP_SLUGS:
            slug = ArgumentNode(name=NameNode(value="slug"), value=StringValueNode(value=LOOKUP_SLUGS[name]))
            return FieldNode(
                alias=node.alias,
                name=node.name,
                arguments=(slug,),
                directives=node.directives,
                selection_set=node.selection_set,
            )
        kept = []
        for argument in node.arguments or ():
            arg = argument.name.value
            if arg in ("after", "before", "last", "filter", "yearFrom", "yearTo"):
                continue
            if arg == "first":
                value = argument.value
                number = int(value.value) if isinstance(value, IntValueNode) else 5
                argument = ArgumentNode(name=argument.name, value=IntValueNode(value=str(abs(number) % 30)))
            kept.append(argument)
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=tuple(kept),
            directives=node.directives,
            selection_set=node.selection_set,
        )


def tame(query: str) -> str:
    return print_ast(visit(parse(query), _Tame()))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    query=from_schema(SCHEMA.as_str(), fields=SUPPORTED_ROOTS),
    locale=st.sampled_from(list(Locale)),
    visibility=st.sampled_from([PUBLIC, EDITOR]),
)
def test_generated_queries_match(url: str, query: str, locale: Locale, visibility: Visibility) -> None:
    general, fast = asyncio.run(_both(url, tame(query), {}, locale, visibility))
    if general is None or fast == "unsupported":
        OUTCOMES["skipped"] += 1
        return
    assert _same_json(fast, general), query
    OUTCOMES["compared"] += 1


def test_the_generated_comparison_compared_something() -> None:
    """Runs after the property test: most generated queries were answered by both paths."""
    assert OUTCOMES["compared"] >= 200, OUTCOMES  # both databases


REQUESTED_WIDTHS: tuple[int, ...] = (-(2**31), -5, 0, 1, 100, 160, 319, 320, 321, 480, 481, 639, 640)
REQUESTED_WIDTHS += (641, 960, 961, 1279, 1280, 1281, 1664, 1665, 2047, 2048, 2049, 4096, 5000, 2**31 - 1)
STORED_WIDTHS = (1, 2, 100, 319, 320, 321, 400, 639, 640, 641, 900, 1279, 1280, 1281, 2047, 2048, 2049, 9000)


async def test_snapped_widths_in_sql_are_snap_width(url: str) -> None:
    """The SQL that picks a variant width (in every URL the compiled path builds) gives
    accord.media.formats.snap_width for every requested width, extreme ones included, and every
    stored width around the variant widths."""
    engine = create_async_db_engine(url)
    rows = ", ".join(f"({width})" for width in STORED_WIDTHS)
    try:
        async with engine.connect() as conn:
            for requested in REQUESTED_WIDTHS:
                clamped = min(max(requested, WIDTH_RANGE[0]), WIDTH_RANGE[1])
                query = f"SELECT column1, {snapped_width('column1', clamped)} FROM (VALUES {rows}) AS v"
                found = {stored: snapped for stored, snapped in (await conn.execute(text(query))).all()}
                assert found == {w: snap_width(requested, w) for w in STORED_WIDTHS}, requested
    finally:
        await engine.dispose()

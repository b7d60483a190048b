"""The compiled read path gives exactly the general executor's answers (the reference)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    EnumValueNode,
    FieldNode,
    IntValueNode,
    NameNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    SelectionSetNode,
    StringValueNode,
    Visitor,
    parse,
    print_ast,
    visit,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema
from sqlalchemy import event

from accord.content.fields import Choice, FilterField
from accord.content.files import bundled_fixtures_dir, fixture_files, read_document
from accord.content.model import BY_PLURAL, CONTENT_TYPES, ContentType
from accord.content.service import load_document
from accord.content.synth import synthesize
from accord.core.visibility import EDITOR, PUBLIC, Visibility
from accord.db import create_async_db_engine
from accord.fastpath.executor import Unsupported, execute_fast
from accord.models.enums import Locale, Status
from accord.read.db import Reader, statement_engines
from accord.schema import build_schema
from accord.schema.context import Context
from tests.conftest import BACKENDS
from tests.harness.databases import migrated_engine, seed
from tests.harness.postgres import PostgresServer

SCHEMA = build_schema()
OUTCOMES = {"compared": 0, "skipped": 0}
REFUSALS: Counter[str] = Counter()  # why the reference refused what was skipped: shown on failure
# How many compared answers used each argument the taming keeps (first, after, filter.text, ...).
COMPARED_WITH: Counter[str] = Counter()
# Every field of each list's filter input (EventFilter, PartnerFilter, ...), as counted above.
FILTERS = {f"filter.{spec.name}" for content in CONTENT_TYPES for spec in content.filters}
SYNTHETIC = synthesize(events=400, partners=60, seed=11)  # with drafts, origins, periods
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
  exhibits { title description imageUrl origin { id name } events { slug } agreements { slug } } } } }
  partners(first: 60) { pageInfo { hasNextPage endCursor } edges { node { slug name updatedAt agreements {
    title events { slug date { label } } } } } }
  agreements(first: 40) { totalCount edges { node { id kind summary signedOn { year month day } } } }
  exhibits(first: 40) { edges { node { slug kind origin { slug } } } } }"""
COMPILED_ROOTS = 4


def _filled(database: str) -> str:
    seed(database)
    engine = migrated_engine(database)
    load_document(engine, SYNTHETIC)
    engine.dispose()
    return database


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
        context = Context(db=Reader(engine), locale=locale, visibility=visibility)
        general = await SCHEMA.execute(query, variable_values=variables, context_value=context)
        await context.db.close()
        if general.errors:
            REFUSALS.update(error.message.split(":")[0][:60] for error in general.errors)
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
            )
        except Unsupported as declined:
            REFUSALS[f"declined: {declined}"[:60]] += 1
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
    assert len(json.loads(orjson.dumps(data))["events"]["edges"]) == 100


LOOKUP_SLUGS = {
    "event": "2001-mutual-assistance-agreement-with-us-customs",
    "partner": "wto",
    "agreement": "synth-agreement-000003",
    "exhibit": "synth-exhibit-000002",
}
# Arguments of a list that are tamed rather than kept as generated.
PAGE_ARGUMENTS = ("first", "last", "after", "before")
YEARS = st.integers(1965, 2030)  # the content spans 1972 to 2024: some ranges hold nothing


@dataclass(frozen=True)
class Pools:
    """Values a generated argument is replaced with: what the content holds (and a few that match
    nothing), and for each list and order the cursors of its pages, read beforehand."""

    partners: list[str]
    tags: list[str]
    countries: list[str]
    words: list[str]
    cursors: dict[tuple[str, str], list[str]]


def _content_pools() -> tuple[list[str], list[str], list[str], list[str]]:
    documents = [read_document(path) for path in fixture_files(bundled_fixtures_dir())] + [SYNTHETIC]
    partners = sorted({p.slug for d in documents for p in d.partners})  # type: ignore[attr-defined]
    tags = sorted({t for d in documents for e in d.events for t in e.tags})  # type: ignore[attr-defined]
    countries = sorted({p.country for d in documents for p in d.partners if p.country})  # type: ignore[attr-defined]
    titles = [e.title for d in documents for e in d.events]  # type: ignore[attr-defined]
    words = sorted({w.lower() for t in titles for w in t.en.split() if len(w) > 3})[:40]
    words += sorted({t.zh_tw[:2] for t in titles if t.zh_tw})[:10]
    return (
        [*partners, "no-such-partner"],
        [*tags, "no-such-tag"],
        [*countries, "tw", "ZZ"],
        [*words, "WTO", "wto customs", "zzzz-nothing"],
    )


async def _cursors(url: str) -> dict[tuple[str, str], list[str]]:
    """Each list's cursors in its order, from its first and last pages as a token holder sees them."""
    engine = create_async_db_engine(url)
    pools: dict[tuple[str, str], list[str]] = {}
    try:
        for content in CONTENT_TYPES:
            for order in content.orders:
                order_argument = f", orderBy: {order.name}" if content.order_enum is not None else ""
                found: list[str] = []
                for page in ("first: 100", "last: 100"):
                    query = f"{{ {content.plural}({page}{order_argument}) {{ edges {{ cursor }} }} }}"
                    context = Context(db=Reader(engine), locale=Locale.EN, visibility=EDITOR)
                    result = await SCHEMA.execute(query, context_value=context)
                    await context.db.close()
                    assert result.data is not None, result.errors
                    found += [edge["cursor"] for edge in result.data[content.plural]["edges"]]
                pools[content.plural, order.name] = list(dict.fromkeys(found))
    finally:
        await engine.dispose()
    return pools


@pytest.fixture(scope="module")
def pools(url: str) -> Pools:
    partners, tags, countries, words = _content_pools()
    return Pools(partners, tags, countries, words, asyncio.run(_cursors(url)))


def _value_of(node: ArgumentNode | ObjectFieldNode) -> Any:
    value = node.value
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, StringValueNode | EnumValueNode):
        return value.value
    return None


class _Tame(Visitor):
    """Makes a generated document likely to run, keeping what it asks for: in-range page sizes,
    first or last (not both), lookups by a real slug, cursors from a page of the same list and
    order, filter values the content holds (or a few that match nothing), year ranges in order,
    and a connection's rows selected (edges) where it asked for its count alone. The property under
    test is the answer, not the refusal."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], pools: Pools) -> None:
        super().__init__()
        self.draw = draw
        self.pools = pools
        self.features: set[str] = set()

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
        arguments = list(node.arguments or ())
        given = {argument.name.value: argument for argument in arguments}
        selection_set = node.selection_set
        if name == "timeline":
            arguments = self._years(arguments, "yearFrom", "yearTo")
        elif name in BY_PLURAL and given.keys() & {*PAGE_ARGUMENTS, "filter", "orderBy"}:
            arguments = self._list(BY_PLURAL[name], arguments, given)
            selection_set = _with_edges(selection_set)
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=tuple(arguments),
            directives=node.directives,
            selection_set=selection_set,
        )

    def _list(
        self, content: ContentType, arguments: list[ArgumentNode], given: dict[str, ArgumentNode]
    ) -> list[ArgumentNode]:
        if "first" in given and "last" in given:  # one of them, as a client may send it
            dropped = self.draw(st.sampled_from(["first", "last"]))
            arguments = [a for a in arguments if a.name.value != dropped]
        if "filter" not in given and self.draw(st.booleans()):
            empty = ObjectValueNode(fields=())
            arguments = [*arguments, ArgumentNode(name=NameNode(value="filter"), value=empty)]
        order = content.order(_value_of(given["orderBy"]) if "orderBy" in given else None)
        cursors = self.pools.cursors[content.plural, order.name]
        positions = sorted(self.draw(st.lists(st.integers(0, len(cursors) - 1), min_size=2, max_size=2)))
        kept: list[ArgumentNode] = []
        for argument in arguments:
            arg = argument.name.value
            if arg in ("first", "last") and not isinstance(argument.value, NullValueNode):
                number = _value_of(argument)
                size = abs(number) % 30 if isinstance(number, int) else 5
                argument = ArgumentNode(name=argument.name, value=IntValueNode(value=str(size)))
                self.features.add(arg)
            elif arg in ("after", "before") and isinstance(argument.value, StringValueNode):
                # after the earlier cursor, before the later one: a range that may hold rows
                cursor = cursors[positions[0] if arg == "after" else positions[1]]
                argument = ArgumentNode(name=argument.name, value=StringValueNode(value=cursor))
                self.features.add(arg)
            elif arg == "filter" and isinstance(argument.value, ObjectValueNode):
                argument = ArgumentNode(name=argument.name, value=self._filter(content, argument.value))
            kept.append(argument)
        return kept

    def _filter(self, content: ContentType, value: ObjectValueNode) -> ObjectValueNode:
        """Each field of the list's filter input the generator set, with a value the content holds;
        and, now and then, the fields it left out, so that every one of them is exercised."""
        generated = {field.name.value: field for field in value.fields}
        fields: list[ObjectFieldNode] = []
        for spec in content.filters:
            field = generated.get(spec.name)
            if field is not None and isinstance(field.value, NullValueNode):
                fields.append(field)
                continue
            if field is None and self.draw(st.integers(0, 2)) != 0:
                continue
            fields.append(
                ObjectFieldNode(name=NameNode(value=spec.name), value=self._filter_value(content, spec))
            )
            self.features.add(f"filter.{spec.name}")
        return ObjectValueNode(fields=tuple(self._years(fields, "yearFrom", "yearTo")))

    def _filter_value(self, content: ContentType, spec: FilterField) -> Any:
        draw, pools = self.draw, self.pools
        if spec.kind in ("year_from", "year_to"):
            return IntValueNode(value=str(draw(YEARS)))
        if spec.kind == "flag":
            return BooleanValueNode(value=draw(st.booleans()))
        if spec.kind in ("choice", "status"):
            field = content.field(spec.options["field"]) if spec.kind == "choice" else None
            values = [member.value for member in (field.enum if isinstance(field, Choice) else Status)]
            return EnumValueNode(value=draw(st.sampled_from(values)))
        pool = {
            "partner": pools.partners,
            "origin": pools.partners,
            "tag": pools.tags,
            "country": pools.countries,
            "text": pools.words,
        }[spec.kind]
        return StringValueNode(value=draw(st.sampled_from(pool)))

    def _years(self, nodes: list[Any], low: str, high: str) -> list[Any]:
        """Years in range, and the earlier one first when both are given."""
        years = {
            node.name.value: self.draw(YEARS)
            for node in nodes
            if node.name.value in (low, high) and not isinstance(node.value, NullValueNode)
        }
        if len(years) == 2 and years[low] > years[high]:
            years[low], years[high] = years[high], years[low]
        if years:
            self.features.add("years")
        return [
            type(node)(name=node.name, value=IntValueNode(value=str(years[node.name.value])))
            if node.name.value in years
            else node
            for node in nodes
        ]


EDGES = parse("{ edges { cursor node { id } } }").definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]


def _with_edges(selection_set: SelectionSetNode | None) -> SelectionSetNode | None:
    """A connection's selection with its rows: the generator often asks for ``totalCount`` alone,
    whose answer would say nothing about which rows a filter or a cursor selects."""
    if selection_set is None or any(
        isinstance(selection, FieldNode) and selection.name.value == "edges"
        for selection in selection_set.selections
    ):
        return selection_set
    return SelectionSetNode(selections=(*selection_set.selections, EDGES))


def tame(query: str, draw: Callable[[st.SearchStrategy[Any]], Any], pools: Pools) -> tuple[str, set[str]]:
    tamer = _Tame(draw, pools)
    return print_ast(visit(parse(query), tamer)), tamer.features


PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
LISTS = ["events", "partners", "agreements", "exhibits"]


def _compare(
    url: str, pools: Pools, query: str, locale: Locale, visibility: Visibility, data: st.DataObject
) -> None:
    tamed, features = tame(query, data.draw, pools)
    general, fast = asyncio.run(_both(url, tamed, {}, locale, visibility))
    if general is None or fast == "unsupported":
        OUTCOMES["skipped"] += 1
        return
    assert _same_json(fast, general), tamed
    OUTCOMES["compared"] += 1
    COMPARED_WITH.update(features)
    if features & FILTERS and _has_items(general):
        COMPARED_WITH["filtered, with items"] += 1


@PROPERTY
@given(
    query=from_schema(SCHEMA.as_str(), fields=SUPPORTED_ROOTS),
    locale=st.sampled_from(list(Locale)),
    visibility=st.sampled_from([PUBLIC, EDITOR]),
    data=st.data(),
)
def test_generated_queries_match(
    url: str, pools: Pools, query: str, locale: Locale, visibility: Visibility, data: st.DataObject
) -> None:
    _compare(url, pools, query, locale, visibility, data)


@settings(PROPERTY, max_examples=100)
@given(
    query=from_schema(SCHEMA.as_str(), fields=LISTS),
    locale=st.sampled_from(list(Locale)),
    visibility=st.sampled_from([PUBLIC, EDITOR]),
    data=st.data(),
)
def test_generated_list_queries_match(
    url: str, pools: Pools, query: str, locale: Locale, visibility: Visibility, data: st.DataObject
) -> None:
    """The lists alone, where filters, cursors, last and year ranges are: each is exercised often."""
    _compare(url, pools, query, locale, visibility, data)


def _has_items(data: Any) -> bool:
    """Whether an answer holds an edge or a year group anywhere (not only empty lists)."""
    if isinstance(data, dict):
        return any(
            (key in ("edges", "timeline") and isinstance(value, list) and value) or _has_items(value)
            for key, value in data.items()
        )
    return isinstance(data, list) and any(_has_items(item) for item in data)


def test_the_generated_comparison_compared_something() -> None:
    """Runs after the property test: most generated queries were answered by both paths, and those
    compared used every argument the taming keeps, filters that found something among them."""
    assert OUTCOMES["compared"] >= 350, (OUTCOMES, REFUSALS.most_common(5))  # of 500, both databases
    wanted = {"first", "last", "after", "before", "years", "filtered, with items", *FILTERS}
    # Each on both databases, twice at least (the runs are derandomized: the counts do not drift).
    missing = {feature: COMPARED_WITH[feature] for feature in wanted if COMPARED_WITH[feature] < 4}
    assert not missing, (missing, COMPARED_WITH)

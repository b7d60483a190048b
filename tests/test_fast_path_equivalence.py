"""The compiled read path gives exactly the general executor's answers (the reference)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

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

from accord.content.service import load_document
from accord.content.synth import synthesize
from accord.db import create_async_db_engine
from accord.fastpath.executor import Unsupported, execute_fast
from accord.models.enums import Locale
from accord.resolvers.db import Reader
from accord.resolvers.visibility import EDITOR, PUBLIC, Visibility
from accord.schema import build_schema
from accord.schema.context import Context
from tests.harness.databases import migrated_engine, seed

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


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    database = f"sqlite:///{tmp_path_factory.mktemp('equivalence')}/accord.db"
    seed(database)
    engine = migrated_engine(database)
    load_document(engine, synthesize(events=400, partners=60, seed=11))  # with drafts, origins, periods
    engine.dispose()
    return database


async def _both(
    url: str, query: str, variables: dict[str, Any], locale: Locale, visibility: Visibility
) -> tuple[Any, Any]:
    engine = create_async_db_engine(url)
    try:
        context = Context(db=Reader(engine), locale=locale, visibility=visibility)
        general = await SCHEMA.execute(query, variable_values=variables, context_value=context)
        await context.db.close()
        if general.errors:
            return None, None
        db = Reader(engine)
        fast: Any
        try:
            fast = await execute_fast(
                SCHEMA._schema,
                SCHEMA.parse_document(query),
                None,
                variables,
                db=db,
                locale=locale,
                visibility=visibility,
            )
        except Unsupported:
            fast = "unsupported"
        finally:
            await db.close()
        return general.data, fast
    finally:
        await engine.dispose()


def _examples() -> list[tuple[str, dict[str, Any]]]:
    examples: list[tuple[str, dict[str, Any]]] = [(FRONT_PAGE, {}), (MIXED, {})]
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
        assert json.dumps(fast) == json.dumps(general), query
        compared += 1
    assert compared >= 7


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
    assert json.dumps(fast) == json.dumps(general), query
    OUTCOMES["compared"] += 1


def test_the_generated_comparison_compared_something() -> None:
    """Runs after the property test: most generated queries were answered by both paths."""
    assert OUTCOMES["compared"] >= 100, OUTCOMES

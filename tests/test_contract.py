"""The served schema keeps every name of the public contract (tests/contract/schema.graphql)."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLSchema, build_schema, find_breaking_changes

from accord.schema import build_schema as build_served_schema
from tests.harness.server import accord_env, run_accord

CONTRACT = Path(__file__).parent / "contract" / "schema.graphql"
ROOT_SCHEMA = Path(__file__).parent.parent / "schema.graphql"


def contract_schema(*roots: str) -> GraphQLSchema:
    """The contract, restricted to what the given root types reach."""
    full = build_schema(CONTRACT.read_text())
    return GraphQLSchema(
        query=full.query_type if "query" in roots else None,
        mutation=full.mutation_type if "mutation" in roots else None,
        subscription=full.subscription_type if "subscription" in roots else None,
        types=[full.get_type("Node")],  # type: ignore[list-item]
    )


def test_no_breaking_change_from_the_contract() -> None:
    # The model's schema, and the one `accord serve` serves (with push delivery's admin fields),
    # which schema.graphql holds (test_schema_file_is_current).
    for served in (build_served_schema()._schema, build_schema(ROOT_SCHEMA.read_text())):
        changes = find_breaking_changes(contract_schema("query", "mutation", "subscription"), served)
        assert changes == [], "\n".join(f"{c.type.name}: {c.description}" for c in changes)


def test_mutation_inputs_keep_the_contract() -> None:
    served = build_served_schema()._schema
    for name in ("EventInput", "EventPatch", "LocalizedTextInput", "PartialDateInput"):
        assert served.get_type(name) is not None, name


def test_the_check_sees_a_breaking_change() -> None:
    """A served schema that lost a field of the contract is reported."""
    trimmed = CONTRACT.read_text().replace("  isMilestone: Boolean!\n", "")
    changes = find_breaking_changes(contract_schema("query"), build_schema(trimmed))
    assert [c.description for c in changes] == ["Field Event.isMilestone was removed."]


def test_schema_file_is_current(tmp_path: Path) -> None:
    printed = run_accord("schema", env=accord_env(f"sqlite:///{tmp_path}/x.db"))
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == ROOT_SCHEMA.read_text(), "schema.graphql is stale: run `make schema`"


def test_every_setting_is_documented_in_the_readme() -> None:
    from accord.settings import Settings

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`ACCORD_{name.upper()}`" not in readme]
    assert missing == [], f"document these settings in README.md: {missing}"

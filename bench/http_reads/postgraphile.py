"""The PostGraphile peer (e): PostGraphile 4 (bench/postgraphile/, its own npm lock file) over the
PostgreSQL database accord was loaded into, asked for W1 in its own naming; its answer must hold the
same rows as accord's W1."""

from __future__ import annotations

import json

import httpx

from bench.http_reads.autocannon import graphql_post
from bench.http_reads.datasets import Dataset
from bench.http_reads.processes import PROJECT, clean_env, free_port
from bench.http_reads.provenance import npm_version
from bench.http_reads.run import Run
from bench.workloads import POSTGRAPHILE_W1, check_postgraphile_w1, same_rows

POSTGRAPHILE_DIR = PROJECT / "bench" / "postgraphile"
POSTGRAPHILE_CLI = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js"


def versions() -> dict[str, str]:
    return {"postgraphile": npm_version(POSTGRAPHILE_CLI.parent / "package.json")}


INTROSPECT = """{ order: __type(name: "EventsOrderBy") { enumValues { name } }
  condition: __type(name: "EventCondition") { inputFields { name } } }"""


def postgraphile_document(client: httpx.Client, notes: list[str]) -> str:
    """POSTGRAPHILE_W1, adjusted to what this PostGraphile exposes (with --no-ignore-indexes an orderBy
    or condition exists only where an index supports it)."""
    data = client.post("/graphql", json={"query": INTROSPECT}).json()["data"]
    orders = {value["name"] for value in (data["order"] or {}).get("enumValues", [])}
    conditions = {value["name"] for value in (data["condition"] or {}).get("inputFields", [])}
    document = POSTGRAPHILE_W1
    if not {"SORT_KEY_DESC", "ID_DESC"} <= orders:
        notes.append(
            f"PostGraphile exposes no SORT_KEY_DESC/ID_DESC (index on event.sort_key?): {sorted(orders)}"
        )
    if "status" not in conditions:
        document = document.replace(', condition: { status: "PUBLISHED" }', "")
        notes.append(
            "PostGraphile exposes no condition on event.status (no index leads with it): drafts included"
        )
    return document


def run_postgraphile(run: Run, dataset: Dataset) -> None:
    """(e): PostGraphile 4 over the same PostgreSQL database."""
    if not POSTGRAPHILE_CLI.exists():
        run.notes.append(
            "PostGraphile is not installed: run `cd bench/postgraphile && npm ci` (make bench does)"
        )
        return
    port = free_port()
    command = [
        "node",
        str(POSTGRAPHILE_CLI),
        "--connection",
        dataset.url,
        "--schema",
        "public",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--simple-collections",
        "both",
        "--disable-graphiql",
        "--disable-query-log",
        "--no-ignore-indexes",
        "--legacy-relations",
        "omit",
    ]
    env = clean_env() | {"NODE_ENV": "production"}

    def ready(client: httpx.Client) -> bool:
        return client.post("/graphql", json={"query": "{ __typename }"}).status_code == 200

    reference = run.bodies.get(dataset.label)

    def check(body: bytes) -> str:
        summary = check_postgraphile_w1(body, dataset.expected_w1)
        if reference is not None:
            problems = same_rows(reference, body)
            assert not problems, "rows differ from accord's W1: " + "; ".join(problems)
            summary += ", same rows as accord's W1"
        return summary

    with run.serving("postgraphile", command, env, ready, port) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            document = postgraphile_document(client, run.notes)
        load = graphql_post(json.dumps({"query": document}, separators=(",", ":")))
        run.add(run.cell(dataset, "postgraphile", "W1", "uncached", load), server, load, check)

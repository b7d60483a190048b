"""The JavaScript clients frontend developers use, against a live ``accord serve``: Apollo Client
(development build, InMemoryCache with the documented policies, fetchMore, a mutation, a
GraphQLWsLink subscription), apollo-upload-client (an image upload as a GraphQL multipart request),
urql (graphcache, persisted queries with a hash-only GET hit), graphql-request, and GraphQL Code
Generator with tsc. The scripts live in tests/clients/, run from
the project's own package.json and package-lock.json, and exit 1 on any warning a library prints;
docs/clients.md shows the same code (tests/test_doc_examples.py checks the copies)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import images
from tests.harness.databases import seed, sqlite_url
from tests.harness.server import LiveServer, live_server
from tests.harness.tokens import create_token

ROOT = Path(__file__).parent.parent
CLIENTS = ROOT / "tests" / "clients"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("clients"))
    seed(url)
    with live_server(url, logs) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    return create_token(server.env, "client-libraries")


def node(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    if not (ROOT / "node_modules").is_dir():
        raise RuntimeError("the Node packages are not installed: run `npm ci` (make test does)")
    return subprocess.run(
        ["node", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def summary_of(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON line a client script ends with (its results and every warning it saw)."""
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no summary (exit {run.returncode}):\n{run.stdout}\n{run.stderr}"
    summary: dict[str, Any] = json.loads(lines[-1])
    return summary


def data(server: LiveServer, query: str, variables: dict[str, Any] | None = None) -> Any:
    answer = httpx.post(server.graphql_url, json={"query": query, "variables": variables or {}}, timeout=30)
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def slugs(page: Any) -> list[str]:
    return [edge["node"]["slug"] for edge in page["edges"]]


def test_apollo_client(server: LiveServer, token: str) -> None:
    run = node(
        "--conditions=development", str(CLIENTS / "apollo.mjs"), server.graphql_url, server.ws_url, token
    )
    summary = summary_of(run)
    assert run.returncode == 0 and summary["warnings"] == [], run.stderr
    expected_pages = data(
        server,
        "{ a: events(first: 3) { edges { node { slug } } } b: events(first: 6) { edges { node { slug } } } }",
    )
    assert summary["firstPage"] == slugs(expected_pages["a"])
    assert summary["bothPages"] == slugs(expected_pages["b"])  # fetchMore appended the second page
    assert summary["fetchedMore"] == slugs(expected_pages["b"])[3:]
    assert summary["timelineYears"] == [2012, 2013, 2015]
    assert summary["searchTypes"] == ["Partner", "Event", "Partner"]
    partner = data(
        server,
        '{ partner(slug: "taiwan-customs") { events(first: 3, orderBy: DATE_DESC) '
        "{ edges { node { slug } } } } }",
    )
    assert summary["partnerEvents"] == slugs(partner["partner"]["events"])
    # The subscription got the very milestone the mutation published.
    created, received = summary["created"], summary["received"]
    assert created["status"] == "PUBLISHED" and created["isMilestone"] is True
    assert received["id"] == created["id"] and received["title"] == "Published from Apollo Client"
    assert received["date"]["label"] == "March 2026"
    assert summary["cachedTitle"] == created["slug"]


def test_apollo_warns_without_the_type_policies(server: LiveServer, token: str) -> None:
    """The same run with a bare InMemoryCache: Apollo's development build warns, and the run fails.
    This is what makes the silence of the run above mean something."""
    run = node(
        "--conditions=development",
        str(CLIENTS / "apollo.mjs"),
        server.graphql_url,
        server.ws_url,
        token,
        env={"ACCORD_CLIENT_WITHOUT_POLICIES": "1"},
    )
    assert run.returncode == 1
    warnings = summary_of(run)["warnings"]
    assert any(
        "Cache data may be lost when replacing the date field of a Event object" in w for w in warnings
    )


def test_urql_with_graphcache_and_persisted_queries(server: LiveServer) -> None:
    run = node(str(CLIENTS / "urql.mjs"), server.graphql_url)
    summary = summary_of(run)
    assert run.returncode == 0 and summary["warnings"] == [], run.stderr
    timeline = data(server, "{ timeline { year events { id } } }")["timeline"]
    assert summary["timelineYears"] == [group["year"] for group in timeline]
    assert summary["timelineEvents"] == sum(len(group["events"]) for group in timeline)
    assert summary["secondTimelineYears"] == summary["timelineYears"]
    expected = data(server, "{ events(first: 8) { edges { node { slug } } } }")["events"]
    assert summary["pagesMerged"] == slugs(expected)  # relayPagination appended page 2 to page 1
    assert summary["searchTypes"] and set(summary["searchTypes"]) <= {
        "Event",
        "Partner",
        "Agreement",
        "Exhibit",
    }
    requests = summary["requests"]
    assert requests[0] == {
        "method": "GET",
        "hashOnly": True,
        "status": 200,
        "code": "PERSISTED_QUERY_NOT_FOUND",
        "data": False,
    }
    assert all(request["method"] == "GET" for request in requests)  # queries go as GET
    # The second client, with an empty cache, sent the timeline as a hash only, and got data.
    assert summary["secondClientRequests"] == [
        {"method": "GET", "hashOnly": True, "status": 200, "code": None, "data": True}
    ]


def test_urql_warns_without_the_keys(server: LiveServer) -> None:
    run = node(str(CLIENTS / "urql.mjs"), server.graphql_url, env={"ACCORD_CLIENT_WITHOUT_POLICIES": "1"})
    assert run.returncode == 1
    warnings = summary_of(run)["warnings"]
    assert any("Invalid key" in w and "YearGroup" in w for w in warnings)
    assert any("Invalid key" in w and "PartialDate" in w for w in warnings)


def test_graphql_request(server: LiveServer, token: str) -> None:
    run = node(str(CLIENTS / "graphql-request.mjs"), server.graphql_url, token)
    summary = summary_of(run)
    assert run.returncode == 0 and summary["warnings"] == [], run.stderr
    assert summary["title"] == "Taiwan Becomes an APEC Member Economy"
    assert summary["partners"] == ["taiwan-customs", "taiwan", "apec"]
    assert (
        summary["zh"]["title"].startswith("臺灣成為亞太經濟合作")
        and summary["zh"]["date"]["label"] == "1991年"
    )
    assert summary["code"] == "BAD_USER_INPUT"
    assert summary["created"]["status"] == "DRAFT"


def npm(*args: str) -> subprocess.CompletedProcess[str]:
    npm_path = shutil.which("npm")
    assert npm_path is not None, "npm is needed (Node 20+)"
    return subprocess.run(
        [npm_path, *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_typed_operations_generate_and_type_check(tmp_path: Path) -> None:
    generated = npm("run", "--silent", "codegen")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    types = (CLIENTS / "typed" / "generated" / "graphql.ts").read_text()
    for operation in ("Timeline", "EventPage", "PartnerPage", "Search", "PaginateEvents", "FilterEvents"):
        assert f"export const {operation}Document" in types
        assert f"export type {operation}Query = " in types
    checked = npm("run", "--silent", "typecheck")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # A consumer that reads a field its operation does not select is refused. (It is written beside
    # the generated files, which are not committed, so that it resolves the same packages.)
    wrong = CLIENTS / "typed" / "generated" / "wrong-consumer.ts"
    wrong.write_text(
        'import { request } from "graphql-request";\n'
        'import { EventPageDocument } from "./graphql";\n'
        'const data = await request("http://127.0.0.1:8000/graphql", EventPageDocument, { slug: "x" });\n'
        "export const nope: string = data.event?.nope ?? '';\n"
    )
    config = json.loads((CLIENTS / "typed" / "tsconfig.json").read_text())
    config["files"] = [str(wrong)]
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    try:
        refused = subprocess.run(
            [str(ROOT / "node_modules" / ".bin" / "tsc"), "--project", str(tmp_path / "tsconfig.json")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        wrong.unlink()
    assert refused.returncode != 0
    assert "Property 'nope' does not exist" in refused.stdout, refused.stdout


def test_apollo_upload_client(server: LiveServer, token: str, tmp_path: Path) -> None:
    """apollo-upload-client's UploadHttpLink sends the GraphQL multipart request accord reads."""
    photo = tmp_path / "uniform.jpg"
    photo.write_bytes(images.encode(images.marked((1000, 750)), "JPEG", quality=85))
    exhibit = data(server, '{ exhibit(slug: "foreign-customs-exchange-uniforms") { id } }')["exhibit"]["id"]
    run = node(str(CLIENTS / "upload.mjs"), server.graphql_url, token, str(photo), exhibit)
    summary = summary_of(run)
    assert run.returncode == 0 and summary["warnings"] == [], (summary, run.stderr)
    image = summary["image"]
    assert (image["width"], image["height"]) == (1000, 750)
    assert image["url"].startswith(f"{server.url}/media/") and image["url"].endswith("/640")
    assert image["srcset"].endswith("/1000 1000w")
    assert {"id": image["id"], "alt": "禮服，1985 年", "__typename": "Image"} in summary["images"]
    assert httpx.get(image["url"], timeout=60).headers["content-type"] == "image/jpeg"

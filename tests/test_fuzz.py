"""Fuzzing a live server with independent tools: hypothesis-graphql (valid and invalid documents,
with and without variables), raw random bodies, and schemathesis. Every answer must be JSON as the
GraphQL-over-HTTP spec says, never a 5xx, and the server must keep answering normal queries."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import StringValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from tests.harness.databases import seed
from tests.harness.server import LiveServer, live_server
from tests.harness.tokens import create_token

SCHEMA = (Path(__file__).parent.parent / "schema.graphql").read_text()
DATETIME = st.datetimes(timezones=st.just(UTC)).map(lambda moment: StringValueNode(value=moment.isoformat()))
# An Upload is a file part of a multipart request: written inline in a document it must be refused
# cleanly, never a 5xx.
SCALARS = {
    "DateTime": DATETIME,
    "JSON": st.just(StringValueNode(value="{}")),
    "Upload": st.just(StringValueNode(value="photo.jpg")),
}
FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
    derandomize=True,
)
MEDIA_TYPES = ("application/json", "application/graphql-response+json")
_clients: dict[str, httpx.Client] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/accord.db"
    seed(url)
    with live_server(url, logs) as live:
        _clients["http"] = httpx.Client(timeout=30)
        yield live
        _clients.pop("http").close()


def check_answer(response: httpx.Response, accept: str) -> dict[str, Any]:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(accept), response.headers["content-type"]
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), body
    for error in body.get("errors", []):
        assert isinstance(error["message"], str) and error["extensions"]["code"], error
        assert "Traceback" not in error["message"]
    return body


def post(server: LiveServer, body: Any, accept: str) -> httpx.Response:
    return _clients["http"].post(server.graphql_url, json=body, headers={"accept": accept})


@FUZZ
@given(document=from_schema(SCHEMA, custom_scalars=SCALARS), accept=st.sampled_from(MEDIA_TYPES))
def test_valid_documents(server: LiveServer, document: str, accept: str) -> None:
    check_answer(post(server, {"query": document}, accept), accept)


@FUZZ
@given(
    document=from_schema(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    accept=st.sampled_from(MEDIA_TYPES),
)
def test_invalid_documents(server: LiveServer, document: str, accept: str) -> None:
    check_answer(post(server, {"query": document}, accept), accept)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
WITH_VARIABLES = [
    "query($first: Int, $after: String, $f: EventFilter) { events(first: $first, after: $after, filter: $f) "
    "{ totalCount edges { node { title } } } }",
    "query($q: String!, $n: Int) { search(query: $q, first: $n) { __typename } }",
    "query($id: ID!) { node(id: $id) { id } }",
    "query($from: Int, $to: Int) { timeline(yearFrom: $from, yearTo: $to) { year } }",
    "subscription($since: DateTime) { milestoneAdded(since: $since) { id } }",
    "mutation($input: EventInput!) { createEvent(input: $input) { id } }",
]


@FUZZ
@given(
    document=st.sampled_from(WITH_VARIABLES),
    variables=st.dictionaries(
        st.sampled_from(["first", "after", "f", "q", "n", "id", "from", "to", "since", "input"]), JSON_VALUES
    ),
    accept=st.sampled_from(MEDIA_TYPES),
)
def test_documents_with_random_variables(
    server: LiveServer, document: str, variables: dict[str, Any], accept: str
) -> None:
    check_answer(post(server, {"query": document, "variables": variables}, accept), accept)


@FUZZ
@given(body=st.binary(max_size=300) | JSON_VALUES.map(lambda value: json.dumps(value).encode()))
def test_raw_random_bodies(server: LiveServer, body: bytes) -> None:
    response = _clients["http"].post(
        server.graphql_url, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
    response.json()


def test_still_serving_after_the_fuzzing(server: LiveServer) -> None:
    body = check_answer(post(server, {"query": "{ events { totalCount } }"}, MEDIA_TYPES[0]), MEDIA_TYPES[0])
    assert body["data"]["events"]["totalCount"] >= 12


def test_schemathesis_finds_no_server_error(server: LiveServer, tmp_path: Path) -> None:
    """schemathesis sends generated operations with an admin token (anonymous writes only ever get
    UNAUTHENTICATED). Its `not_a_server_error` check counts every GraphQL error that is not a
    validation error as a server failure, including the NOT_FOUND and CONFLICT answers the contract
    prescribes for writes to missing ids or taken slugs: those are accepted, nothing else is."""
    admin = create_token(server.env, "schemathesis", "admin")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            server.graphql_url,
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "40",
            "--seed",
            "1",
            "--request-timeout",
            "20",
            "--report-dir",
            str(tmp_path),
            "--no-shrink",
            "--header",
            f"Authorization: Bearer {admin}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=tmp_path,  # schemathesis keeps a cache in its working directory
    )
    output = result.stdout + result.stderr
    assert "generated" in output, output[-2000:]
    failure_kinds = set(re.findall(r"- (ST\d+) ", output))
    assert failure_kinds <= {"ST113"}, output[-3000:]
    codes = set(re.findall(r'\\?"code\\?":\\?"([A-Z_]+)', output))
    assert codes <= {"NOT_FOUND", "CONFLICT", "BAD_USER_INPUT"}, (codes, output[-3000:])
    assert "INTERNAL_SERVER_ERROR" not in output and "[500]" not in output

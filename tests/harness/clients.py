"""Clients the tests talk to accord with: gql over HTTP, plain httpx, and the Node judges."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXTransport

from tests.harness.server import LiveServer

PROJECT = Path(__file__).resolve().parent.parent.parent
NODE_CLIENTS = PROJECT / "tests" / "clients"


def gql_client(server: LiveServer, headers: dict[str, str] | None = None) -> Client:
    transport = HTTPXTransport(url=server.graphql_url, headers=headers or {}, timeout=30)
    return Client(transport=transport, fetch_schema_from_transport=False)


def query(
    server: LiveServer,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run a query with gql; GraphQL errors raise gql's TransportQueryError."""
    with gql_client(server, headers) as session:
        result: dict[str, Any] = session.execute(GraphQLRequest(document, variable_values=variables))
        return result


def post(
    server: LiveServer,
    document: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A raw POST, for checking errors, codes and headers."""
    body: dict[str, Any] = {"query": document}
    if variables is not None:
        body["variables"] = variables
    return httpx.post(server.graphql_url, json=body, headers=headers or {}, timeout=30)


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = response.json().get("errors", [])
    return errors


def node_client(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    node_modules = PROJECT / "node_modules"
    if not node_modules.is_dir():
        raise RuntimeError("Node test clients are not installed: run `npm ci` (make test does)")
    return subprocess.run(
        ["node", str(NODE_CLIENTS / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT,
        check=False,
    )

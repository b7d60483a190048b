"""Fixtures: real PostgreSQL and Redis servers started for the session, fresh databases per test,
and accord under uvicorn on a free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.databases import seed, sqlite_url
from tests.harness.postgres import PostgresServer, running_postgres
from tests.harness.redis import RedisServer, running_redis
from tests.harness.server import LiveServer, live_server

BACKENDS = ["sqlite", "postgresql"]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _new_database(backend: str, request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield sqlite_url(directory)
        return
    pg: PostgresServer = request.getfixturevalue("postgres")
    name = pg.create_database()
    try:
        yield pg.url(name)
    finally:
        pg.drop_database(name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend."""
    yield from _new_database(request.param, request, tmp_path)


@pytest.fixture(scope="session", params=BACKENDS)
def seeded_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, logs: Path
) -> Iterator[LiveServer]:
    """A read-only accord over the bundled fixtures, shared by the tests that only read."""
    for url in _new_database(request.param, request, tmp_path_factory.mktemp("seeded")):
        seed(url)
        with live_server(url, logs) as server:
            yield server


@pytest.fixture
def postgres_or_sqlite_second(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend as ``database_url``."""
    backend = "sqlite" if "sqlite" in request.getfixturevalue("database_url") else "postgresql"
    second = tmp_path / "second"
    second.mkdir()
    yield from _new_database(backend, request, second)

"""SQL statements per request, counted in-process (a one-off beside the load runs, not during them).

    python -m bench.statements --database-url URL --picks '{"event_slug": ..., "partner_slug": ...}' \
        [--no-response-cache]
    python -m bench.statements --naive PATH

The first form builds accord's application with the settings the benchmark serves it with, listens
to ``before_cursor_execute`` on its engines (as tests/test_statement_count.py does) and sends every
workload through Starlette's TestClient, uncached (POST with ``Cache-Control: no-cache`` and a fresh
nonce, as the load sends it) and cached (the same GET again); the second does the same for baseline
(c)'s W1. It runs whichever accord is first on PYTHONPATH: the suite also counts an earlier revision
(BENCH_HTTP_BEFORE), whose engines lived in ``accord.resolvers.db``. Each figure is the smallest count over
a few repetitions after a warm-up, so a background read of the change log (SQLite polls it every
100 ms) is not counted. Prints one JSON object: {"W1": {"uncached": n, "cached": n}, ...}.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from starlette.testclient import TestClient

from bench.workloads import WORKLOADS, Picks

REPEAT = 5


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def listen(self, engine: Engine) -> None:
        def count(*args: Any) -> None:
            with self.lock:
                self.count += 1

        event.listen(engine, "before_cursor_execute", count)

    def smallest(self, send: Callable[[int], None]) -> int:
        send(-1)  # warm-up: first-use costs (parse caches, prepared statements)
        counts = []
        for attempt in range(REPEAT):
            with self.lock:
                self.count = 0
            send(attempt)
            with self.lock:
                counts.append(self.count)
        return min(counts)


def _checked(response: Any, expected: int = 200) -> None:
    if response.status_code != expected:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")


def _statement_engines() -> Callable[[Any], list[Engine]]:
    """accord's read engines to listen on, wherever the revision on PYTHONPATH keeps them."""
    for module in ("accord.read.db", "accord.resolvers.db"):  # the second: before the package was reshaped
        with contextlib.suppress(ModuleNotFoundError):
            found: Callable[[Any], list[Engine]] = importlib.import_module(module).statement_engines
            return found
    raise RuntimeError("no statement_engines in accord.read.db or accord.resolvers.db")


def accord_counts(
    database_url: str, picks: Picks, *, response_cache: bool = True
) -> dict[str, dict[str, int]]:
    from accord.app import create_app
    from accord.settings import Settings

    statement_engines = _statement_engines()

    settings = Settings(
        database_url=database_url,
        rate_limit=False,
        load_fixtures_on_empty=False,
        response_cache=response_cache,
    )
    app = create_app(settings)
    services = app.state.services
    counter = Counter()
    for engine in statement_engines(services.engine):
        counter.listen(engine)
    if services.write_engine is not services.engine:
        counter.listen(services.write_engine.sync_engine)
    counts: dict[str, dict[str, int]] = {}
    with TestClient(app) as client:
        for workload in WORKLOADS:
            if workload.is_graphql:
                body = workload.post_body(picks, nonce=True)
                path = workload.get_path(picks)

                def uncached(attempt: int, body: str = body) -> None:
                    nonce = f"statements-{attempt}-{id(body)}"
                    # no-cache: accord keys answers by the variables the operation declares, so the
                    # nonce alone would be answered from the cache (earlier revisions ignore the header).
                    response = client.post(
                        "/graphql",
                        content=body.replace("[<id>]", nonce),
                        headers={"content-type": "application/json", "cache-control": "no-cache"},
                    )
                    _checked(response)

                def cached(attempt: int, path: str = path) -> None:
                    _checked(client.get(path))

                counts[workload.key] = {
                    "uncached": counter.smallest(uncached),
                    "cached": counter.smallest(cached),
                }
            else:
                unique = workload.get_path(picks, nonce=True)
                path = workload.get_path(picks)

                def plain_unique(attempt: int, unique: str = unique) -> None:
                    _checked(client.get(unique.replace("[<id>]", f"statements-{attempt}-{time.time_ns()}")))

                def plain(attempt: int, path: str = path) -> None:
                    _checked(client.get(path))

                counts[workload.key] = {
                    "uncached": counter.smallest(plain_unique),
                    "cached": counter.smallest(plain),
                }
    return counts


def naive_counts(database: str) -> dict[str, dict[str, int]]:
    from bench.baselines.naive_w1 import create_app

    app = create_app(database)
    counter = Counter()
    counter.listen(app.state.engine)
    w1 = WORKLOADS[0]
    body = w1.post_body(Picks("", ""), nonce=True)
    with TestClient(app) as client:

        def send(attempt: int) -> None:
            response = client.post(
                "/graphql",
                content=body.replace("[<id>]", str(attempt)),
                headers={"content-type": "application/json"},
            )
            _checked(response)

        return {"W1": {"uncached": counter.smallest(send)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="accord's database")
    parser.add_argument("--picks", help="JSON: the event and partner slugs of W2 and W5")
    parser.add_argument("--naive", help="count baseline (c) over this SQLite file instead")
    parser.add_argument(
        "--no-response-cache", action="store_true", help="accord with ACCORD_RESPONSE_CACHE=false"
    )
    args = parser.parse_args(argv)
    if args.naive:
        counts = naive_counts(args.naive)
    else:
        if not args.database_url or not args.picks:
            parser.error("give --database-url and --picks, or --naive")
        counts = accord_counts(
            args.database_url, Picks(**json.loads(args.picks)), response_cache=not args.no_response_cache
        )
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())

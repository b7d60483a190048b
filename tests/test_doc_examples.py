"""Every request/response example of docs/*.md, run against a live server over the seed content and
compared with what the page shows (the convention: docs/README.md, "Examples that run"; the
implementation: tests/harness/doc_examples.py).

Each document gets a fresh server (SQLite, the bundled fixtures, development settings, rate limits
off) and runs its examples top to bottom, so a page can create something and use it further down.
The shell examples have ``$ACCORD`` (the server), ``$EDITOR_TOKEN`` (token ``alice``, editor),
``$ADMIN_TOKEN`` (``ada``, admin), ``$BOT_TOKEN`` (``ci-bot``, revoked) and ``$PREVIEW_TOKEN``
(``staging``, preview).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.harness.databases import seed, sqlite_url
from tests.harness.doc_examples import Runner, blocks, find_examples
from tests.harness.server import live_server, run_accord
from tests.harness.tokens import create_token

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("path", DOCS, ids=[path.name for path in DOCS])
def test_the_examples_of_a_document_follow_the_convention(path: Path) -> None:
    found = find_examples(path, ROOT / "docs" / "queries")
    assert found.errors == []


def test_the_guides_have_examples_that_run() -> None:
    """The pages written for API users are made of run examples (not of blocks marked not run)."""
    counts = {path.name: len(find_examples(path).examples) for path in DOCS}
    for guide, at_least in {"api.md": 25, "editing.md": 30, "feeds.md": 3, "frontend.md": 2}.items():
        assert counts.get(guide, 0) >= at_least, counts
    # clients.md is code: every block of it is a copy of a file tests/clients/ runs.
    clients = ROOT / "docs" / "clients.md"
    copied = [block for block in blocks(clients.read_text()) if block.marker and block.marker[0] == "from"]
    assert len(copied) >= 9


@pytest.mark.parametrize("path", [p for p in DOCS if find_examples(p).examples], ids=lambda p: p.name)
def test_the_examples_of_a_document_give_what_it_shows(path: Path, tmp_path: Path, logs: Path) -> None:
    found = find_examples(path)
    url = sqlite_url(tmp_path)
    seed(url)
    with live_server(url, logs) as server:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "ACCORD": server.url,
            "EDITOR_TOKEN": create_token(server.env, "alice", "editor"),
            "ADMIN_TOKEN": create_token(server.env, "ada", "admin"),
            "BOT_TOKEN": create_token(server.env, "ci-bot", "editor"),
            "PREVIEW_TOKEN": create_token(server.env, "staging", "preview"),
        }
        revoked = run_accord("token", "revoke", "ci-bot", env=server.env)
        assert revoked.returncode == 0, revoked.stderr
        work = tmp_path / "cwd"
        work.mkdir()
        runner = Runner(server.url, env, work)
        failures = []
        for example in found.examples:
            where = f"{path.name}:{example.response.line}"
            try:
                problems = runner.check(example)
            except Exception as error:
                problems = [f"the request failed: {error}"]
            if problems:
                shown = "\n    ".join(problems[:8])
                failures.append(f"{where} (request at line {example.request.line}):\n    {shown}")
    assert not failures, f"{len(failures)} of {len(found.examples)} examples differ:\n" + "\n".join(failures)

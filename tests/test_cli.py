"""The `accord` command, run as users run it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.harness.server import accord_env, live_server, run_accord


@pytest.mark.parametrize(
    "verb",
    [
        [],
        ["serve"],
        ["db"],
        ["db", "upgrade"],
        ["fixtures", "load"],
        ["fixtures", "synth"],
        ["export"],
        ["import"],
        ["schema"],
    ],
)
def test_every_verb_has_help(verb: list[str], tmp_path: Path) -> None:
    result = run_accord(*verb, "--help", env=accord_env(f"sqlite:///{tmp_path}/x.db"))
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_export_import_round_trip_is_lossless(
    database_url: str, tmp_path: Path, postgres_or_sqlite_second: str
) -> None:
    env = accord_env(database_url)
    assert run_accord("db", "upgrade", env=env).returncode == 0
    assert run_accord("fixtures", "load", env=env).returncode == 0
    assert run_accord("fixtures", "synth", "--events", "300", "--seed", "7", env=env).returncode == 0
    first = tmp_path / "first.yaml"
    assert run_accord("export", str(first), env=env).returncode == 0

    other = accord_env(postgres_or_sqlite_second)
    assert run_accord("db", "upgrade", env=other).returncode == 0
    imported = run_accord("import", str(first), env=other)
    assert imported.returncode == 0, imported.stderr
    second = tmp_path / "second.yaml"
    assert run_accord("export", str(second), env=other).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    as_json = run_accord("export", "--format", "json", env=other)
    assert as_json.stdout.startswith("{")


def test_synth_is_deterministic(tmp_path: Path) -> None:
    exports = []
    for name in ("a", "b"):
        env = accord_env(f"sqlite:///{tmp_path}/{name}.db")
        assert run_accord("db", "upgrade", env=env).returncode == 0
        result = run_accord("fixtures", "synth", "--events", "200", "--seed", "42", env=env)
        assert result.returncode == 0, result.stderr
        exports.append(run_accord("export", "--format", "json", env=env).stdout)
    assert exports[0] == exports[1]
    assert '"synth-event-000200"' in exports[0]


def test_wrong_database_url_is_one_clear_line(tmp_path: Path) -> None:
    for url, expected in (
        ("mysql://x@localhost/y", "unsupported database 'mysql'"),
        ("not a url", "not a database URL"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot use the database"),
    ):
        result = run_accord("db", "upgrade", env=accord_env(url))
        assert result.returncode != 0
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert expected in lines[0]
        assert "Traceback" not in result.stderr


def test_unmigrated_database_is_explained(tmp_path: Path) -> None:
    result = run_accord("fixtures", "load", env=accord_env(f"sqlite:///{tmp_path}/new.db"))
    assert result.returncode != 0
    assert "accord db upgrade" in result.stderr


def test_bad_import_file_names_file_record_and_field(tmp_path: Path) -> None:
    env = accord_env(f"sqlite:///{tmp_path}/db.db")
    assert run_accord("db", "upgrade", env=env).returncode == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"events": [{"slug": "x", "title": {"en": "X"}, "date": {"year": 2001, "month": 0}}]}')
    result = run_accord("import", str(bad), env=env)
    assert result.returncode != 0
    assert "bad.json: events[0] (slug x): date" in result.stderr
    assert "month" in result.stderr


def test_serve_creates_and_seeds_a_missing_sqlite_database(tmp_path: Path, logs: Path) -> None:
    """The embedded default: a relative `accord.db` in the working directory, seeded on first start."""
    with live_server("sqlite:///accord.db", logs, cwd=tmp_path) as server:
        response = httpx.post(server.graphql_url, json={"query": "{ events { totalCount } }"})
        assert response.json()["data"] == {"events": {"totalCount": 12}}
    assert (tmp_path / "accord.db").exists()

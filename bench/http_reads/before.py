"""accord at an earlier revision, measured beside the tree under test in the same run:
``BENCH_HTTP_BEFORE=<git ref>`` snapshots that revision's src/, fixtures/ and docs/queries (``git
archive``, read-only) into the run's temp dir, as `processes.snapshot_code` copies the current tree's,
and the suite serves it as a second accord ("accord-before") with the same settings, on the same data
sets, for the same workloads, with the same installed dependencies. Its data sets are loaded once, by
the current tree's code: a revision whose migrations differ cannot be compared this way."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

from bench.http_reads.processes import PROJECT, Revision

ENVIRONMENT = "BENCH_HTTP_BEFORE"
# What an accord process reads from its checkout (as snapshot_code copies it).
PATHS = ("src", "fixtures", "docs/queries")
MIGRATIONS = "src/accord/migrations/versions"


def requested() -> str | None:
    ref = os.environ.get(ENVIRONMENT, "").strip()
    return ref or None


def _git(*args: str) -> str:
    result = subprocess.run(["git", "-C", str(PROJECT), *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {result.stderr.strip()[:500]}")
    return result.stdout.strip()


def snapshot_revision(ref: str, workdir: Path) -> Revision:
    """Extract ``ref``'s files into ``workdir/before``; refuse a revision whose migrations differ from
    the tree's (its data sets are migrated by the current code)."""
    commit = _git("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")
    subject = _git("log", "-1", "--format=%s", commit)
    present = [path for path in PATHS if _git("ls-tree", "--name-only", commit, "--", path)]
    differ = _git("diff", "--name-only", commit, "--", MIGRATIONS)
    if differ:
        raise RuntimeError(
            f"{ref} ({commit[:12]}) has other migrations than the tree under test "
            f"({', '.join(differ.splitlines())}): the data sets, migrated by the current code, "
            "would not fit it"
        )
    archive = subprocess.run(
        ["git", "-C", str(PROJECT), "archive", "--format=tar", commit, "--", *present],
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout
    target = workdir / "before"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return Revision(ref, commit, subject, target / "src")

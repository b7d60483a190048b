"""What the suite records of where it ran: the machine, its load, the tools' versions and the state of
accord's code (read-only: /proc, package metadata and git commands that change nothing)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import socket
import sqlite3
from pathlib import Path
from typing import Any

from bench.http_reads.processes import PROJECT
from bench.machine import cpu_model, git_commit, output, package_versions

MB = 1_000_000
PACKAGES = (
    "accord",
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "sqlalchemy",
    "sqlmodel",
    "aiosqlite",
    "psycopg",
    "orjson",
    "psutil",
    "matplotlib",
)


def npm_version(package_json: Path) -> str:
    """The version an installed npm package's package.json gives ("" when it is not installed)."""
    with contextlib.suppress(OSError, ValueError, KeyError):
        return str(json.loads(package_json.read_text())["version"])
    return ""


def machine(tools: dict[str, str]) -> dict[str, Any]:
    """The machine, the versions of ``tools`` (Node packages, by name) and of the Python packages, and
    accord's commit with the files of src/ that differ from it."""
    packages = package_versions(PACKAGES)
    # Read-only git: the commit, and whether the tree under test differs from it.
    commit = git_commit()
    changed = output(["git", "-C", str(PROJECT), "diff", "--name-only", "HEAD", "--", "src"]).splitlines()
    untracked = output(
        ["git", "-C", str(PROJECT), "ls-files", "--others", "--exclude-standard", "--", "src"]
    ).splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()[0].split()
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cpus_available": sorted(os.sched_getaffinity(0)),
        "memory_mb": int(meminfo[1]) * 1024 // MB,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "node": output(["node", "--version"]),
        **tools,
        "packages": packages,
        "accord_commit": commit,
        "src_changed_since_commit": changed,
        "src_untracked": untracked,
    }


def code_state() -> str:
    """The commit and a digest of uncommitted changes in src/ (read-only git): accord's code under test."""
    commit = git_commit()
    diff = output(["git", "-C", str(PROJECT), "diff", "HEAD", "--", "src"])
    untracked = output(["git", "-C", str(PROJECT), "ls-files", "--others", "--exclude-standard", "--", "src"])
    digest = hashlib.sha256((diff + "\0" + untracked).encode()).hexdigest()[:12]
    return f"{commit[:12]}+{digest}" if diff or untracked else commit[:12]


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]

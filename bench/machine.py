"""What every suite records of the machine and the code it measured (read-only: /proc, package
metadata and git commands that change nothing)."""

from __future__ import annotations

import contextlib
import importlib.metadata
import subprocess
from collections.abc import Iterable
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def output(command: list[str]) -> str:
    """A command's standard output, stripped; "" when it cannot run."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=PROJECT).stdout.strip()
    return ""


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return ""


def package_versions(names: Iterable[str]) -> dict[str, str]:
    """The installed version of each package that is installed."""
    versions = {}
    for name in names:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[name] = importlib.metadata.version(name)
    return versions


def git_commit(*, short: bool = False) -> str:
    return output(["git", "rev-parse", *(["--short"] if short else []), "HEAD"])


def src_modified() -> bool | None:
    """Whether src/ differs from the commit (uncommitted work under test); None if git cannot tell."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        diff = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src"], cwd=PROJECT, check=False)
        return diff.returncode == 1
    return None

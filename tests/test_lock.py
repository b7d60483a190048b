"""The lock files pin every Python dependency with hashes, and agree with pyproject.toml.

pyproject.toml keeps lower bounds (for those who install accord as a library); requirements.txt,
requirements-test.txt and requirements-bench.txt, compiled from it by ``make lock``, pin each
package to one version with its hashes. ``make run``, ``make test``, CI and the Dockerfile install
from them. A dependency added to, removed from or narrowed in pyproject.toml without ``make lock``
fails here, and so does an environment that was not installed from the lock.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCKS = {
    "requirements.txt": [],
    "requirements-test.txt": ["test"],
    "requirements-bench.txt": ["test", "bench"],
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)\s*(?:;\s*(.*?))?\s*\\?$")
FROM_PYPROJECT = "accord (pyproject.toml)"


@dataclass
class Pin:
    version: str
    marker: str | None
    hashes: int = 0
    via: set[str] = field(default_factory=set)


def read_lock(name: str) -> dict[str, Pin]:
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    in_via = False
    for line in (ROOT / name).read_text().splitlines():
        found = PIN.match(line)
        if found:
            current = Pin(found.group(2), found.group(3))
            pins[canonicalize_name(found.group(1))] = current
            in_via = False
            continue
        stripped = line.strip()
        if current is None:
            continue
        if stripped.startswith("--hash=sha256:"):
            current.hashes += 1
        elif stripped.startswith("# via"):
            rest = stripped.removeprefix("# via").strip()
            in_via = not rest
            if rest:
                current.via.add(rest)
        elif in_via and stripped.startswith("#"):
            current.via.add(stripped.lstrip("#").strip())
        elif stripped and not stripped.startswith("#"):
            raise AssertionError(f"{name}: a line that is not a pin, hash or comment: {line!r}")
    return pins


def declared(extras: list[str]) -> list[Requirement]:
    requirements = [Requirement(text) for text in PROJECT["dependencies"]]
    for extra in extras:
        requirements += [Requirement(text) for text in PROJECT["optional-dependencies"][extra]]
    return requirements


@pytest.mark.parametrize("name", list(LOCKS))
def test_every_pin_has_one_version_and_hashes(name: str) -> None:
    pins = read_lock(name)
    assert len(pins) > 20
    for package, pin in pins.items():
        assert pin.hashes >= 1, f"{name}: {package} has no hash"
        assert pin.via, f"{name}: {package} says nothing of what needs it"


def disagreements(pins: dict[str, Pin], wanted: list[Requirement]) -> list[str]:
    """Where a lock and the requirements of pyproject.toml part ways (empty: they agree)."""
    problems = []
    for requirement in wanted:
        package = canonicalize_name(requirement.name)
        if package not in pins:
            problems.append(f"{requirement} is in pyproject.toml but not locked")
            continue
        version = pins[package].version
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{package}=={version} is locked, outside pyproject.toml's {requirement}")
        for extra in requirement.extras:  # uvicorn[standard], gql[httpx,websockets], ...
            for needed in metadata_requirements(package, version, extra):
                if canonicalize_name(needed) not in pins:
                    problems.append(f"{requirement} needs {needed}, not locked")
    # Nothing is in the lock for pyproject's sake that pyproject no longer asks for.
    direct = {package for package, pin in pins.items() if FROM_PYPROJECT in pin.via}
    for dropped in sorted(direct - {canonicalize_name(r.name) for r in wanted}):
        problems.append(f"{dropped} is locked for pyproject.toml, which no longer asks for it")
    # Everything else is there because something in the lock needs it.
    for name, pin in pins.items():
        parents = {canonicalize_name(via) for via in pin.via if via != FROM_PYPROJECT}
        if not parents <= set(pins):
            problems.append(f"{name} is needed by {sorted(parents - set(pins))}, which are not locked")
    return problems


@pytest.mark.parametrize(("name", "extras"), list(LOCKS.items()))
def test_the_lock_holds_what_pyproject_asks_for(name: str, extras: list[str]) -> None:
    assert disagreements(read_lock(name), declared(extras)) == [], f"{name}: run `make lock`"


def test_a_disagreement_is_found() -> None:
    pins = read_lock("requirements.txt")
    wanted = declared([])
    assert disagreements(pins, [*wanted, Requirement("left-pad>=1.0")]) == [
        "left-pad>=1.0 is in pyproject.toml but not locked"
    ]
    narrowed = [
        Requirement("strawberry-graphql>=999") if r.name == "strawberry-graphql" else r for r in wanted
    ]
    assert [p for p in disagreements(pins, narrowed) if "outside" in p] == [
        f"strawberry-graphql=={pins['strawberry-graphql'].version} is locked, outside pyproject.toml's "
        "strawberry-graphql>=999"
    ]
    dropped = [r for r in wanted if r.name != "feedgen"]
    assert "feedgen is locked for pyproject.toml, which no longer asks for it" in disagreements(pins, dropped)


def environment_of_this_python() -> dict[str, str]:
    return {key: str(value) for key, value in default_environment().items()}


def metadata_requirements(package: str, version: str, extra: str) -> list[str]:
    """What ``package[extra]`` adds, when it is installed at the locked version (else nothing)."""
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return []
    if dist.version != version:
        return []
    environment: dict[str, str] = {**environment_of_this_python(), "extra": extra}
    names = []
    for text in dist.requires or []:
        marker = Requirement(text).marker
        if marker is not None and "extra" in str(marker) and marker.evaluate(environment):
            names.append(Requirement(text).name)
    return names


def test_the_locks_agree_with_each_other() -> None:
    """The test lock is the service lock plus the test extra, at the same versions."""
    service, test, bench = (read_lock(name) for name in LOCKS)
    for smaller, larger in ((service, test), (test, bench)):
        for package, pin in smaller.items():
            assert package in larger and larger[package].version == pin.version, package


def test_this_environment_was_installed_from_the_lock() -> None:
    """`make test` installs requirements-test.txt: every pin that applies here is what is installed."""
    environment = environment_of_this_python()
    for package, pin in read_lock("requirements-test.txt").items():
        marker = Requirement(f"x; {pin.marker}").marker if pin.marker else None
        if marker is not None and not marker.evaluate(environment):
            continue
        installed = metadata.version(package)
        assert installed == pin.version, f"{package} {installed} is installed, the lock says {pin.version}"

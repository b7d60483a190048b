"""deploy/nginx.conf read as nginx reads it, and Debian's nginx run with it in front of a live accord.

The parser knows nginx's syntax (directives end with `;`, blocks are `{ ... }`, `#` starts a
comment, quotes group words): enough to look directives up by block, not to interpret them.
nginx itself comes from scripts/install-system-deps (Debian's nginx-light).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.ports import free_port, wait_for_port

# Files nginx would otherwise write under its compiled-in prefix (/var/lib/nginx).
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


@dataclass
class Block:
    name: str
    args: list[str] = field(default_factory=list)
    directives: list[tuple[str, list[str]]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def values(self, name: str) -> list[list[str]]:
        """The arguments of every `name` directive directly in this block."""
        return [args for key, args in self.directives if key == name]

    def value(self, name: str) -> list[str]:
        found = self.values(name)
        assert len(found) == 1, f"{self.name} {' '.join(self.args)}: {len(found)} `{name}` directives"
        return found[0]

    def block(self, name: str, *args: str) -> Block:
        found = [b for b in self.blocks if b.name == name and (not args or b.args == list(args))]
        assert len(found) == 1, f"{self.name}: {len(found)} `{name} {' '.join(args)}` blocks"
        return found[0]

    def walk(self) -> Iterator[Block]:
        yield self
        for child in self.blocks:
            yield from child.walk()


def tokens(text: str) -> Iterator[str]:
    for match in re.finditer(r"#[^\n]*|\"(?:[^\"\\]|\\.)*\"|'[^']*'|[{};]|[^\s{};#]+", text):
        token = match.group(0)
        if token.startswith("#"):
            continue
        yield token[1:-1] if token[0] in "\"'" else token


def parse(text: str) -> Block:
    root = Block("main")
    stack = [root]
    words: list[str] = []
    for token in tokens(text):
        if token == ";":
            assert words, "an empty directive"
            stack[-1].directives.append((words[0], words[1:]))
            words = []
        elif token == "{":
            assert words, "a block without a name"
            child = Block(words[0], words[1:])
            stack[-1].blocks.append(child)
            stack.append(child)
            words = []
        elif token == "}":
            assert not words and len(stack) > 1, "unbalanced braces"
            stack.pop()
        else:
            words.append(token)
    assert len(stack) == 1 and not words, "the file ends inside a block or a directive"
    return root


def seconds(value: str) -> float:
    """An nginx time (`10s`, `1m`, `500ms`, `60`) in seconds."""
    match = re.fullmatch(r"(\d+)(ms|s|m|h)?", value)
    assert match, f"not an nginx time: {value}"
    number, unit = int(match.group(1)), match.group(2) or "s"
    return number * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def size(value: str) -> int:
    """An nginx size (`100k`, `1m`, `512`) in bytes."""
    match = re.fullmatch(r"(\d+)([kKmMgG])?", value)
    assert match, f"not an nginx size: {value}"
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[(match.group(2) or "").lower()]
    return int(match.group(1)) * scale


def nginx_binary() -> str:
    found = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin")
    assert found, "nginx is not installed: run scripts/install-system-deps (make test does)"
    return found


def local_copy(config: str, directory: Path, *, upstream_port: int, listen_port: int) -> Path:
    """The configuration with its upstream servers at 127.0.0.1:upstream_port (compose's service
    names do not resolve here), listening on listen_port, with its temporary files in directory."""
    text = re.sub(r"(?m)^(\s*server\s+)[\w.-]+:\d+\b", rf"\g<1>127.0.0.1:{upstream_port}", config)
    text, listens = re.subn(r"(?m)^(\s*listen\s+)\d+;", rf"\g<1>127.0.0.1:{listen_port};", text)
    assert listens == 1, "expected one `listen PORT;`"
    temp = "".join(f"\n    {name}_temp_path {directory / name};" for name in TEMP_PATHS)
    text = re.sub(r"(?m)^http\s*\{", lambda m: m.group(0) + temp, text, count=1)
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


def nginx_argv(path: Path, directory: Path, *, test: bool = False) -> list[str]:
    settings = f"pid {directory / 'nginx.pid'};" + ("" if test else " daemon off;")
    argv = [nginx_binary(), "-p", str(directory), "-e", "stderr", "-c", str(path), "-g", settings]
    return [*argv, "-t"] if test else argv


def check_config(config: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the configuration (its upstreams moved to loopback)."""
    path = local_copy(config, directory, upstream_port=free_port(), listen_port=free_port())
    return subprocess.run(
        nginx_argv(path, directory, test=True), capture_output=True, text=True, timeout=30, check=False
    )


@dataclass
class RunningNginx:
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_nginx(config: str, directory: Path, upstream_port: int) -> Iterator[RunningNginx]:
    """nginx in the foreground with the configuration, in front of accord on upstream_port."""
    port = free_port()
    path = local_copy(config, directory, upstream_port=upstream_port, listen_port=port)
    log_path = directory / "nginx.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(nginx_argv(path, directory), stdout=log, stderr=log)
    try:
        wait_for_port(port)
        yield RunningNginx(port, log_path)
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then the master exits
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

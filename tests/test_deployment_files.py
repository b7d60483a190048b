"""The Dockerfile, compose.yaml, deploy/nginx.conf and .dockerignore, kept honest without Docker.

The files are parsed (the Dockerfile as text, compose.yaml with yaml.safe_load, the nginx
configuration with tests.harness.nginx), and what they say is checked against the real thing: every
`accord ...` command they run (and every one the runbook, docs/operations.md, tells operators to
run) against `accord <verb> --help`; every ACCORD_* variable against accord.settings.Settings,
values validated; the health checks, run as written, against a live server; the image's start
command, run as written, migrating and serving a database; the nginx configuration against
`nginx -t`, against the timeouts docs/security.md asks of a reverse proxy, and run in front of a
live accord.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy.engine import make_url

from accord.live.sse import HEARTBEAT_SECONDS
from accord.settings import Settings
from tests.harness import nginx
from tests.harness.databases import seed, sqlite_url
from tests.harness.ports import free_port
from tests.harness.server import ACCORD, LiveServer, accord_env, live_server, run_accord
from tests.harness.waiting import wait_until
from tests.harness.ws import ws_client

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = ROOT / "compose.yaml"
OPERATIONS = ROOT / "docs" / "operations.md"
SECURITY = ROOT / "docs" / "security.md"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
ACCORD_SERVICES = ("accord-1", "accord-2")
PREFIX = "ACCORD_"


# --- reading the files ------------------------------------------------------------------------------


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for key, args in self.instructions if key == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"the {self.name or self.base} stage has no {keyword}"
        return found[-1]


def dockerfile_stages(text: str) -> list[Stage]:
    """Instructions by build stage: continuation lines joined, comments dropped (as Docker does)."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    stages: list[Stage] = []
    for line in lines:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].lower() == "as" else None
            stages.append(Stage(base=words[0], name=name))
            continue
        assert stages, f"{keyword} before the first FROM"
        stages[-1].instructions.append((keyword, args))
    return stages


def command_form(args: str) -> list[str] | str:
    """An exec-form (JSON array) or shell-form command."""
    if args.startswith("["):
        argv = json.loads(args)
        assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), args
        return [str(a) for a in argv]
    return args


def env_instruction(args: str) -> dict[str, str]:
    words = shlex.split(args)
    if words and "=" not in words[0]:  # the legacy `ENV KEY value` form
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def healthcheck_command(args: str) -> list[str] | str:
    options, _, command = args.partition("CMD")
    assert all(word.startswith("--") for word in options.split()), args
    return command_form(command.strip())


def shell_script(command: list[str] | str) -> str | None:
    """The shell text a command runs: the shell form, or `sh -c TEXT` in exec form."""
    if isinstance(command, str):
        return command
    if len(command) >= 3 and Path(command[0]).name in ("sh", "bash") and command[1] == "-c":
        return command[2]
    return None


def simple_commands(script: str) -> list[list[str]]:
    """`a && b; c | d` as [[a], [b], [c], [d]]: the words of each simple command."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    commands: list[list[str]] = [[]]
    redirected = False
    for token in lexer:
        if token in ("&&", "||", ";", "|", "&"):
            commands.append([])
        elif token in (">", ">>", "<", ">&", "&>"):
            redirected = True  # the next word is where to, not an argument
        elif redirected:
            redirected = False
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def accord_argv(words: list[str]) -> list[str] | None:
    """The `accord ...` part of a simple command: run directly (after `exec` and VAR=value
    prefixes), or as the command of `docker run` / `docker compose run|exec`."""
    rest = list(words)
    while rest and (rest[0] == "exec" or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", rest[0])):
        rest.pop(0)
    if not rest:
        return None
    if Path(rest[0]).name == "accord":
        return rest
    if rest[0] == "docker" and ({"run", "exec"} & set(rest[1:3])):
        for index, word in enumerate(rest[2:], start=2):
            # The command follows the image or service name; `--name accord` is an option's value.
            if word == "accord" and not rest[index - 1].startswith("-"):
                return rest[index:]
    return None


def accord_commands(script: str) -> list[list[str]]:
    found = (accord_argv(words) for words in simple_commands(script))
    return [argv for argv in found if argv is not None]


def command_argvs(command: list[str] | str | None) -> list[list[str]]:
    """The `accord ...` commands of a compose `command`/`entrypoint` or a Dockerfile instruction."""
    if not command:
        return []
    script = shell_script(command)
    if script is not None:
        return accord_commands(script)
    argv = accord_argv([str(word) for word in command])
    return [] if argv is None else [argv]


def shell_default(word: str) -> str:
    """`${NAME:-default}` -> default; anything else as it is."""
    match = re.fullmatch(r"\$\{[A-Za-z_]\w*:?-([^}]*)\}", word)
    return match.group(1) if match else word


def option_value(argv: list[str], option: str) -> str:
    for index, word in enumerate(argv):
        if word == option:
            return shell_default(argv[index + 1])
        if word.startswith(option + "="):
            return shell_default(word.split("=", 1)[1])
    raise AssertionError(f"{' '.join(argv)} has no {option}")


@cache
def dockerfile() -> list[Stage]:
    return dockerfile_stages(DOCKERFILE.read_text())


def runtime() -> Stage:
    return dockerfile()[-1]


def start_script() -> str:
    script = shell_script(command_form(runtime().last("CMD")))
    assert script is not None, "CMD should run a shell script (sh -c '...') that migrates, then serves"
    return script


def serve_argv() -> list[str]:
    (serve,) = [argv for argv in accord_commands(start_script()) if argv[1:2] == ["serve"]]
    return serve


def exposed_port() -> int:
    (port,) = runtime().last("EXPOSE").split()
    return int(port.removesuffix("/tcp"))


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in runtime().all("ENV"):
        env.update(env_instruction(args))
    return env


@cache
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def service(name: str) -> dict[str, Any]:
    services: dict[str, dict[str, Any]] = compose()["services"]
    assert name in services, f"compose.yaml has no service {name}"
    return services[name]


def service_env(name: str) -> dict[str, str]:
    env = service(name).get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def compose_healthcheck(name: str) -> list[str] | str:
    test = service(name)["healthcheck"]["test"]
    if isinstance(test, str):
        return test
    kind, *argv = test
    if kind == "CMD-SHELL":
        return str(argv[0])
    assert kind == "CMD", test
    return [str(word) for word in argv]


def health_url(command: list[str] | str) -> tuple[int, str]:
    """The loopback port and path a health check asks for."""
    text = command if isinstance(command, str) else " ".join(command)
    (found,) = re.findall(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[\w./-]*)", text)
    return int(found[0]), found[1]


def documented_commands() -> list[list[str]]:
    """The `accord ...` commands in the runbook's shell blocks and compose.yaml's comments."""
    commands: list[list[str]] = []
    blocks = re.findall(r"```(?:sh|bash|shell|console)\n(.*?)```", OPERATIONS.read_text(), re.S)
    comments = [line.lstrip("# ") for line in COMPOSE.read_text().splitlines() if line.startswith("#")]
    shell = "\n".join(blocks).replace("\\\n", " ")  # continued lines joined
    for line in [*shell.splitlines(), *comments]:
        line = line.strip().removeprefix("$ ")
        if line and not line.startswith("#"):
            commands += accord_commands(line.split(" #", 1)[0])
    return commands


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether the Docker build context leaves `path` out (the last matching pattern decides; a
    pattern that matches a directory leaves out everything under it)."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = glob_regex(pattern.removeprefix("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i:]:
            end = pattern.index("]", i)
            out, i = out + "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]", end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore_patterns() -> list[str]:
    lines = (line.strip() for line in DOCKERIGNORE.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# --- the CLI and the settings -------------------------------------------------------------------------


def help_env(tmp_path: Path) -> dict[str, str]:
    # Wide enough that rich never cuts an option name short.
    return accord_env(sqlite_url(tmp_path), {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})


def check_cli(argv: list[str], env: Mapping[str, str]) -> None:
    """`argv` names a real `accord` command (not a group) and only options it has."""
    words = argv[1:]
    verbs = list(words)
    for index, word in enumerate(words):
        if word.startswith("-"):
            verbs = words[:index]
            break
    result = run_accord(*verbs, "--help", env=env)
    assert result.returncode == 0, (argv, result.stdout, result.stderr)
    usage = re.search(r"Usage: accord((?: [a-z][\w-]*)*) \[OPTIONS\](.*)", result.stdout)
    assert usage, result.stdout
    path = usage.group(1).split()
    assert path and verbs[: len(path)] == path, f"{' '.join(argv)}: not an accord command ({path})"
    assert "COMMAND" not in usage.group(2), f"{' '.join(argv)}: `accord {' '.join(path)}` needs a command"
    for word in words[len(path) :]:
        if word.startswith("--"):
            option = word.split("=", 1)[0]
            assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", result.stdout), (
                f"`accord {' '.join(path)}` has no option {option}:\n{result.stdout}"
            )


def settings_from(env: Mapping[str, str]) -> Settings:
    """Settings built from the ACCORD_* variables of `env` alone; each must be a field."""
    values: dict[str, Any] = {}
    for key, value in env.items():
        if not key.upper().startswith(PREFIX):
            continue
        name = key[len(PREFIX) :].lower()
        assert name in Settings.model_fields, f"{key} is not a setting of accord.settings.Settings"
        values[name] = value
    return Settings(_env_file=None, **values)


@pytest.fixture
def no_accord_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.upper().startswith(PREFIX):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("deployment"))
    seed(url)
    with live_server(url, logs) as live:
        yield live


def run_health_check(command: list[str] | str, port: int) -> subprocess.CompletedProcess[str]:
    """A health check as written, pointed at `port` instead of the container's, with this Python."""
    expected, _ = health_url(command)
    moved = f"127.0.0.1:{port}"
    if isinstance(command, str):
        return subprocess.run(
            ["sh", "-c", command.replace(f"127.0.0.1:{expected}", moved)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    argv = [word.replace(f"127.0.0.1:{expected}", moved) for word in command]
    if argv[0] == "python":
        argv[0] = sys.executable
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)


# --- the Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_builds_in_one_stage_and_runs_in_a_slim_one() -> None:
    stages = dockerfile()
    assert len(stages) >= 2
    builder, final = stages[0], stages[-1]
    assert builder.base == "python:3.11-slim" and builder.name == "builder"
    assert final.base == "python:3.11-slim"
    # The runtime stage gets the virtual environment from the builder and nothing else.
    copies = final.all("COPY") + final.all("ADD")
    assert copies == ["--from=builder /opt/venv /opt/venv"]
    assert any("/opt/venv/bin" in value for value in dockerfile_env().values())
    # The builder installs the project from the files the wheel needs, none of them left out of the
    # build context: the package, the README the metadata names, what the wheel force-includes.
    sources = {
        word.rstrip("/") for args in builder.all("COPY") for word in shlex.split(args)[:-1] if word[0] != "-"
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = {"pyproject.toml", project["project"]["readme"]}
    wheel = project["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed |= {package.split("/")[0] for package in wheel["packages"]}
    needed |= set(wheel.get("force-include", {}))
    assert needed <= sources, f"the builder does not copy {needed - sources}"
    patterns = dockerignore_patterns()
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        assert not dockerignored(source, patterns), f".dockerignore leaves out {source}, which COPY needs"
    assert any(re.search(r"\bpip (install|wheel)\b.* \.", args) for args in builder.all("RUN"))


def test_runtime_stage_runs_as_a_user_that_is_not_root() -> None:
    keywords = [keyword for keyword, _ in runtime().instructions]
    assert "USER" in keywords
    user = runtime().last("USER").split(":")[0]
    assert user not in ("root", "0"), user
    assert keywords.index("USER") < keywords.index("CMD") and keywords.count("USER") == 1
    if user.isdigit():  # a numeric id: the RUN that creates the account uses it
        assert any(f"--uid {user}" in args for args in runtime().all("RUN"))


def test_start_command_migrates_then_serves_on_the_exposed_port() -> None:
    commands = accord_commands(start_script())
    assert [argv[1:3] for argv in commands[:1]] == [["db", "upgrade"]], commands
    assert len(commands) == 2 and commands[1][1] == "serve", commands
    serve = serve_argv()
    assert option_value(serve, "--host") == "0.0.0.0"
    assert int(option_value(serve, "--port")) == exposed_port() == 8000
    assert 1 <= int(option_value(serve, "--workers")) <= 64
    assert int(dockerfile_env()["WORKERS"]) == int(option_value(serve, "--workers"))
    assert re.search(r"\bexec accord serve\b", start_script()), "accord should replace the shell (signals)"
    assert runtime().last("STOPSIGNAL") == "SIGTERM"


def test_healthcheck_asks_the_exposed_port() -> None:
    port, path = health_url(healthcheck_command(runtime().last("HEALTHCHECK")))
    assert (port, path) == (exposed_port(), "/healthz")


def test_every_accord_command_is_a_real_verb_with_real_options(tmp_path: Path) -> None:
    commands = accord_commands(start_script())
    for stage in dockerfile():
        for args in stage.all("RUN"):
            commands += accord_commands(args)
    for name in ACCORD_SERVICES:
        for key in ("command", "entrypoint"):
            commands += command_argvs(service(name).get(key))
    documented = documented_commands()
    assert len(documented) >= 10, "the runbook and compose.yaml should show the commands operators run"
    env = help_env(tmp_path)
    seen: set[tuple[str, ...]] = set()
    for argv in [*commands, *documented]:
        if tuple(argv) not in seen:
            seen.add(tuple(argv))
            check_cli(argv, env)


def test_check_cli_refuses_what_does_not_exist(tmp_path: Path) -> None:
    env = help_env(tmp_path)
    for argv in (
        ["accord", "serve", "--threads", "4"],
        ["accord", "migrate"],
        ["accord", "db"],
        ["accord", "db", "upgrade", "--workers", "2"],
    ):
        with pytest.raises(AssertionError):
            check_cli(argv, env)
    check_cli(["accord", "db", "upgrade", "head"], env)


@pytest.mark.usefixtures("no_accord_environment")
def test_dockerfile_settings_are_real_and_valid() -> None:
    env = dockerfile_env()
    assert env["ACCORD_ENV"] == "production"
    assert "ACCORD_DATABASE_URL" not in env, "the image must not pick a database for the operator"
    settings = settings_from(env | {"ACCORD_DATABASE_URL": "postgresql://accord@db.example:5432/accord"})
    assert settings.is_production


def test_start_command_runs_migrations_then_serves(tmp_path: Path) -> None:
    """The image's CMD, run here as written (on a free port), with the image's ENV."""
    port = free_port()
    script = start_script().replace(f"--port {exposed_port()}", f"--port {port}")
    path = f"{Path(ACCORD).parent}{os.pathsep}{os.environ['PATH']}"
    image_env = {key: value for key, value in dockerfile_env().items() if key != "PATH"}
    env = accord_env(sqlite_url(tmp_path), image_env | {"PATH": path, "WORKERS": "1"})

    without_database = {key: value for key, value in env.items() if key != "ACCORD_DATABASE_URL"}
    refused = subprocess.run(
        ["sh", "-c", script], env=without_database, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0 and "ACCORD_DATABASE_URL" in refused.stderr, refused
    assert not list(tmp_path.iterdir()), "nothing may be created without ACCORD_DATABASE_URL"

    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(["sh", "-c", script], env=env, cwd=tmp_path, stdout=log, stderr=log)
    try:

        def ready() -> bool:
            assert process.poll() is None, log_path.read_text()
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200

        wait_until(ready, "the image's start script to serve", timeout=60, ignoring=(httpx.HTTPError,))
        assert run_health_check(healthcheck_command(runtime().last("HEALTHCHECK")), port).returncode == 0
        check = run_accord("db", "current", env=env)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        process.send_signal(signal.SIGTERM)  # `exec`: the signal reaches accord, not a shell
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    # uvicorn finishes in-flight work, then re-raises the SIGTERM it caught.
    assert code in (0, -signal.SIGTERM), log_path.read_text()
    assert "Traceback" not in log_path.read_text()


def test_healthchecks_pass_against_a_live_server_and_fail_without_one(server: LiveServer) -> None:
    checks = [healthcheck_command(runtime().last("HEALTHCHECK"))]
    checks += [compose_healthcheck(name) for name in ACCORD_SERVICES]
    for command in checks:
        _, path = health_url(command)
        assert httpx.get(f"{server.url}{path}", timeout=10).status_code == 200, path
        passed = run_health_check(command, server.port)
        assert passed.returncode == 0, passed.stderr
        failed = run_health_check(command, free_port())
        assert failed.returncode != 0


# --- compose.yaml -----------------------------------------------------------------------------------


def test_compose_runs_two_instances_of_one_image() -> None:
    first, second = (service(name) for name in ACCORD_SERVICES)
    assert first["image"] == second["image"]
    assert first.get("build") == second.get("build")
    build = first["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile_name = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (COMPOSE.parent / context / dockerfile_name).resolve() == DOCKERFILE
    assert service_env("accord-1") == service_env("accord-2")
    published = []
    for name in ACCORD_SERVICES:
        (mapping,) = service(name)["ports"]
        host, container = str(mapping).rsplit(":", 1)
        assert int(container) == exposed_port()
        published.append(int(host.rsplit(":", 1)[-1]))
        assert "command" not in service(name) and "entrypoint" not in service(name), "use the image's CMD"
        for dependency in ("postgres", "redis"):
            assert service(name)["depends_on"][dependency] == {"condition": "service_healthy"}
        assert health_url(compose_healthcheck(name))[0] == exposed_port()
    assert published == [8001, 8002]
    assert "load balancer" in COMPOSE.read_text().lower()
    for name in ACCORD_SERVICES:  # users come through nginx; the instances' own ports are for operators
        (mapping,) = service(name)["ports"]
        assert str(mapping).startswith("127.0.0.1:"), f"{name} should publish on the loopback interface only"


def test_compose_database_and_redis_are_the_services_it_starts() -> None:
    postgres, redis = service("postgres"), service("redis")
    assert str(postgres["image"]).startswith("postgres:15")
    assert str(redis["image"]).startswith("redis:7")
    assert postgres["healthcheck"]["test"] and redis["healthcheck"]["test"]
    assert any(str(volume).endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])
    env = service_env("accord-1")
    database = make_url(env["ACCORD_DATABASE_URL"])
    pg_env = {str(key): str(value) for key, value in postgres["environment"].items()}
    assert database.get_backend_name() == "postgresql"
    assert (database.host, database.port) == ("postgres", 5432)
    assert database.username == pg_env["POSTGRES_USER"]
    assert database.password == pg_env["POSTGRES_PASSWORD"]
    assert database.database == pg_env["POSTGRES_DB"]
    assert env["ACCORD_REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.usefixtures("no_accord_environment")
@pytest.mark.parametrize("name", ACCORD_SERVICES)
def test_compose_settings_are_real_and_valid(name: str) -> None:
    """What each instance runs with: the image's ENV, then the service's environment."""
    settings = settings_from(dockerfile_env() | service_env(name))
    assert settings.is_production
    assert not settings.is_sqlite
    assert settings.pubsub_backend == "redis"
    workers = service_env(name).get("WORKERS")
    if workers is not None:
        assert 1 <= int(workers) <= 64


@pytest.mark.usefixtures("no_accord_environment")
def test_settings_check_refuses_unknown_and_invalid_values() -> None:
    with pytest.raises(AssertionError, match="ACCORD_DATABSE_URL"):
        settings_from({"ACCORD_DATABSE_URL": "postgresql://db/accord"})
    with pytest.raises(ValueError, match="unsupported database"):
        settings_from({"ACCORD_DATABASE_URL": "mysql://db/accord"})


# --- .dockerignore ----------------------------------------------------------------------------------


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    patterns = dockerignore_patterns()
    for path in (".venv", ".venv/bin/python", "node_modules", ".git", "tests/artifacts", "tests/artifacts/x"):
        assert dockerignored(path, patterns), f".dockerignore should leave out {path}"
    for path in ("src/accord/app.py", "fixtures/seed.yaml", "pyproject.toml", "README.md"):
        assert not dockerignored(path, patterns), path
    assert dockerignored("src/accord/__pycache__/app.cpython-311.pyc", patterns)


# --- nginx in front (deploy/nginx.conf) -------------------------------------------------------------


@cache
def nginx_conf() -> nginx.Block:
    return nginx.parse(NGINX_CONF.read_text())


def http_block() -> nginx.Block:
    return nginx_conf().block("http")


def server_block() -> nginx.Block:
    return http_block().block("server")


def location(path: str) -> nginx.Block:
    return server_block().block("location", "=", path)


def proxied_locations() -> list[nginx.Block]:
    locations = [block for block in server_block().blocks if block.name == "location"]
    return [block for block in locations if block.values("proxy_pass")]


def header(block: nginx.Block, name: str) -> str:
    """What a location sets `name` to (nginx passes a location's proxy_set_header list alone, not
    merged with the server's, so each location is read by itself)."""
    found = [args[1] for args in block.values("proxy_set_header") if args[0].lower() == name.lower()]
    assert len(found) == 1, f"location {' '.join(block.args)}: proxy_set_header {name} set {len(found)} times"
    return found[0]


def test_compose_puts_nginx_in_front_of_both_instances() -> None:
    proxy = service("nginx")
    assert str(proxy["image"]).startswith("nginx:")
    (volume,) = proxy["volumes"]
    source, target = str(volume).split(":")[:2]
    assert (COMPOSE.parent / source).resolve() == NGINX_CONF and target == "/etc/nginx/nginx.conf"
    for name in ACCORD_SERVICES:
        assert proxy["depends_on"][name] == {"condition": "service_healthy"}
    (mapping,) = proxy["ports"]
    host_port, container_port = (int(part) for part in str(mapping).rsplit(":", 2)[-2:])
    (listen,) = server_block().values("listen")
    assert int(listen[0]) == container_port
    # Users reach nginx: it is the public address feed links are built from.
    public = make_url_port(service_env("accord-1")["ACCORD_PUBLIC_URL"])
    assert public == host_port
    # The instances trust X-Forwarded-For from nginx's fixed address, and from nobody else.
    address = proxy["networks"]["default"]["ipv4_address"]
    subnets = [entry["subnet"] for entry in compose()["networks"]["default"]["ipam"]["config"]]
    assert any(ipaddress.ip_address(address) in ipaddress.ip_network(subnet) for subnet in subnets)
    for name in ACCORD_SERVICES:
        assert service_env(name)["FORWARDED_ALLOW_IPS"] == address
    # nginx balances over exactly the two instances, on the port the image serves.
    upstream = http_block().block("upstream", "accord")
    servers = {args[0] for args in upstream.values("server")}
    assert servers == {f"{name}:{exposed_port()}" for name in ACCORD_SERVICES}
    # ... opening fewer connections to each than it serves (ACCORD_MAX_CONNECTIONS per worker),
    # counted across nginx's workers: nginx turns a flood away before accord has to.
    assert upstream.values("zone")
    serves = Settings.model_fields["max_connections"].default * int(service_env("accord-1")["WORKERS"])
    for args in upstream.values("server"):
        (max_conns,) = [int(arg.split("=")[1]) for arg in args[1:] if arg.startswith("max_conns=")]
        assert 0 < max_conns < serves, args
    assert all(block.value("proxy_pass") == ["http://accord"] for block in proxied_locations())


def make_url_port(url: str) -> int:
    match = re.fullmatch(r"https?://[^/:]+:(\d+)/?", url)
    assert match, f"expected an explicit port in {url}"
    return int(match.group(1))


@pytest.mark.usefixtures("no_accord_environment")
def test_nginx_sets_the_timeouts_and_limits_the_docs_ask_for() -> None:
    defaults = Settings(_env_file=None)
    http, server = http_block(), server_block()
    # Slow clients and idle connections are timed out; the numbers are those docs/security.md gives.
    for name in ("client_header_timeout", "client_body_timeout", "send_timeout", "keepalive_timeout"):
        assert 0 < nginx.seconds(http.value(name)[0]) <= 60, name
    assert http.value("reset_timedout_connection") == ["on"]
    # Requests accord would refuse are refused at the edge.
    assert nginx.size(http.value("client_max_body_size")[0]) == defaults.max_body_bytes
    # Idle upstream connections are dropped before accord drops them.
    upstream = http.block("upstream", "accord")
    assert nginx.seconds(upstream.value("keepalive_timeout")[0]) < defaults.keep_alive_seconds
    # Per-address caps.
    zones = {args[1].split("=")[1].split(":")[0]: args[0] for args in http.values("limit_conn_zone")}
    zones |= {args[1].split("=")[1].split(":")[0]: args[0] for args in http.values("limit_req_zone")}
    assert set(zones.values()) == {"$binary_remote_addr"}
    (limit_conn,) = server.values("limit_conn")
    assert limit_conn[0] in zones and 0 < int(limit_conn[1]) < defaults.max_connections
    (limit_req,) = server.values("limit_req")
    assert limit_req[0].removeprefix("zone=") in zones
    assert server.value("proxy_request_buffering") == ["on"]
    assert server.value("proxy_http_version") == ["1.1"]
    # WebSocket upgrades on /graphql, idle for longer than accord's ping interval.
    graphql = location("/graphql")
    assert header(graphql, "Upgrade") == "$http_upgrade"
    assert header(graphql, "Connection") == "$connection_upgrade"
    mapping = http.block("map", "$http_upgrade", "$connection_upgrade")
    assert mapping.value("default") == ["upgrade"]
    for name in ("proxy_read_timeout", "proxy_send_timeout"):
        assert nginx.seconds(graphql.value(name)[0]) > 2 * defaults.ws_ping_seconds, name
    # Server-Sent Events: unbuffered, and idle for longer than the stream's keep-alive comment.
    stream = location("/feeds/milestones/stream")
    assert stream.value("proxy_buffering") == ["off"]
    assert nginx.seconds(stream.value("proxy_read_timeout")[0]) > 2 * HEARTBEAT_SECONDS
    # Every proxied location passes the client's own address, replacing what the client claimed.
    for block in proxied_locations():
        assert header(block, "X-Forwarded-For") == "$remote_addr", block.args
        assert header(block, "X-Forwarded-Proto") == "$scheme", block.args
        if block is not graphql:
            assert header(block, "Connection") == "", block.args  # keeps upstream connections alive
    assert location("/metrics").value("return") == ["404"]


def test_the_docs_name_the_nginx_settings_as_the_file_has_them() -> None:
    """Every `directive value` in docs/security.md's table of proxy settings is in the file."""
    text = SECURITY.read_text()
    start = text.index("| what | why | nginx (`deploy/nginx.conf`) |")
    rows = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    assert len(rows) >= 10, rows
    lines = [" ".join([name, *args]) for block in nginx_conf().walk() for name, args in block.directives]
    names = {name for block in nginx_conf().walk() for name, _ in block.directives}
    names |= {block.name for block in nginx_conf().walk()}
    for row in rows:
        for snippet in re.findall(r"`([^`]+)`", row.split("|")[3]):
            missing = f"docs/security.md names `{snippet}`; deploy/nginx.conf does not have it"
            if " " in snippet:  # a directive with its value (or a header with its value)
                assert any(line == snippet or line.endswith(" " + snippet) for line in lines), missing
            elif re.fullmatch(r"[a-z_]+", snippet):  # a directive's or a block's name
                assert snippet in names, missing


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    checked = nginx.check_config(NGINX_CONF.read_text(), tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


@pytest.fixture(scope="module")
def rate_limited(tmp_path_factory: pytest.TempPathFactory, logs: Path) -> Iterator[LiveServer]:
    url = sqlite_url(tmp_path_factory.mktemp("behind-nginx"))
    seed(url)
    env = {"ACCORD_RATE_LIMIT": "true", "ACCORD_RATE_READS_PER_SECOND": "0.1", "ACCORD_RATE_READS_BURST": "6"}
    with live_server(url, logs, extra_env=env) as live:
        yield live


async def test_nginx_in_front_of_a_live_accord(rate_limited: LiveServer, tmp_path: Path) -> None:
    """deploy/nginx.conf as compose runs it (its upstreams moved to loopback): requests, WebSocket
    subscriptions and client addresses pass through; slow clients are cut off."""
    config = NGINX_CONF.read_text()
    # The slow-client check waits for the header timeout: shortened here, the rest as written.
    config = re.sub(r"client_header_timeout \d+s;", "client_header_timeout 1s;", config)
    with nginx.running_nginx(config, tmp_path, rate_limited.port) as proxy:
        assert httpx.get(f"{proxy.url}/healthz", timeout=10).text == "ok"
        answer = httpx.post(f"{proxy.url}/graphql", json={"query": "{ events { totalCount } }"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["data"]["events"]["totalCount"] > 0
        assert httpx.get(f"{proxy.url}/metrics", timeout=10).status_code == 404
        async with ws_client(f"ws://127.0.0.1:{proxy.port}/graphql") as client:
            await client.subscribe("1", "{ events { totalCount } }")
            assert (await client.next_payload("1"))["data"]["events"]["totalCount"] > 0
        # A client cannot buy itself fresh rate-limit buckets by claiming other addresses: nginx
        # replaces X-Forwarded-For with the address it sees, and accord (which trusts loopback)
        # counts that one. The burst is 6 and the POST above took one (health checks take none).
        statuses = [
            httpx.get(
                f"{proxy.url}/feeds/milestones.rss", headers={"X-Forwarded-For": f"10.0.0.{n}"}, timeout=10
            ).status_code
            for n in range(8)
        ]
        assert statuses == [200] * 5 + [429] * 3, statuses
        # A client that sends its headers slowly is cut off (here after 1 s), without reaching accord.
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=30) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: accord\r\n")
            try:
                received = slow.recv(1024)
            except ConnectionResetError:  # reset_timedout_connection: a reset rather than a FIN
                received = b""
            assert received == b"", "nginx should close a connection whose headers never end"
        assert "Traceback" not in rate_limited.log()

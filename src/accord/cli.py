"""The ``accord`` command: serve, migrate, load and move content, print the schema."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from accord.content.document import DocumentError
from accord.content.files import FileFormat, bundled_fixtures_dir, fixture_files, read_document
from accord.content.loader import SECTIONS, LoadReport
from accord.settings import Settings

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="accord: a GraphQL content service for a cooperation timeline.",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema migrations.")
fixtures_app = typer.Typer(no_args_is_help=True, help="Load bundled or synthetic content.")
app.add_typer(db_app, name="db")
app.add_typer(fixtures_app, name="fixtures")
token_app = typer.Typer(no_args_is_help=True, help="API tokens for writes (Authorization: Bearer <token>).")
app.add_typer(token_app, name="token")
schedule_app = typer.Typer(no_args_is_help=True, help="Publishes scheduled for later.")
app.add_typer(schedule_app, name="schedule")
preview_app = typer.Typer(no_args_is_help=True, help="Preview links: a draft on the timeline page.")
app.add_typer(preview_app, name="preview")
secret_app = typer.Typer(no_args_is_help=True, help="The server's own secrets.")
app.add_typer(secret_app, name="secret")

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"ACCORD_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        fail(f"invalid settings: {problems}", 2)
    from accord.feeds.saved import FeedsFileError, load_saved_feeds

    try:
        load_saved_feeds(settings.feeds_file)  # read and checked at start, like every setting
    except FeedsFileError as exc:
        fail(f"invalid settings: ACCORD_FEEDS_FILE: {exc}", 2)
    return settings


def sync_engine(settings: Settings, *, migrated: bool = True) -> Engine:
    """An engine on the configured database; with ``migrated``, one whose schema is the newest."""
    from accord.db import create_sync_engine
    from accord.migrate import is_current

    engine = create_sync_engine(settings.database_url)
    if migrated:
        try:
            with engine.connect() as conn:
                current = is_current(conn)
        except SQLAlchemyError as exc:
            database_error(settings, exc)
        if not current:
            fail("the database schema is not the newest: run `accord db upgrade` first")
    return engine


def database_error(settings: Settings, exc: SQLAlchemyError) -> NoReturn:
    from accord.startup import describe_database_error

    fail(describe_database_error(settings, exc))


def print_report(report: LoadReport) -> None:
    table = Table("content", "inserted", "updated", "unchanged")
    for section in SECTIONS:
        table.add_row(
            section,
            str(report.inserted[section]),
            str(report.updated[section]),
            str(report.unchanged[section]),
        )
    out.print(table)


# Listening on every interface: links must still name one address, and loopback is the one that
# certainly answers.
WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}  # noqa: S104


def served_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` for the address ``accord serve`` listens on (IPv6 in brackets)."""
    shown = WILDCARD_HOSTS.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Migrate the database (loading the fixtures into an empty SQLite one) and serve HTTP + WebSocket."""

    import uvicorn

    from accord.observability.logs import log_config
    from accord.startup import DatabaseUnavailable, prepare_database

    # Feed entries, discovery links and event pages are built from ACCORD_PUBLIC_URL; unset, it is the
    # address served here (the workers read their settings from the environment too).
    if not os.environ.get("ACCORD_PUBLIC_URL"):
        os.environ["ACCORD_PUBLIC_URL"] = served_url(host, port)
    settings = load_settings()
    try:
        report = prepare_database(settings)
    except DatabaseUnavailable as exc:
        fail(str(exc))
    except DocumentError as exc:
        fail(f"bundled fixtures: {exc}")
    if report is not None:
        out.print(f"loaded the bundled fixtures: {sum(report.inserted.values())} records")
    out.print(f"accord on {served_url(host, port)}/graphql (GraphiQL in a browser)")
    if host in WILDCARD_HOSTS and settings.public_url == served_url(host, port):
        err.print(
            f"note: links in feeds and pages point to {settings.public_url}; "
            "set ACCORD_PUBLIC_URL to the address clients reach this server at",
            highlight=False,
        )
    # The workers read their settings from the environment; they need to know they are not alone,
    # and share their metrics through files (prometheus-client's multiprocess mode).
    os.environ["ACCORD_WORKERS"] = str(workers)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="accord-metrics-")
    uvicorn.run(
        "accord.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level, settings.log_format_resolved),
        access_log=False,  # accord writes its own access lines, with request id and operation
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=settings.keep_alive_seconds,
        # uvicorn refuses a request when the open connections, the one it arrived on included,
        # reach limit_concurrency: one more than the setting lets exactly that many be served.
        # (WebSocket handshakes skip uvicorn's check; accord.live.ws applies the same number.)
        limit_concurrency=settings.max_connections + 1,
        ws_max_size=settings.ws_max_message_bytes,
        ws_ping_interval=settings.ws_ping_seconds,
        ws_per_message_deflate=settings.ws_per_message_deflate,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from accord.migrate import upgrade
    from accord.startup import migration_lock

    settings = load_settings()
    engine = sync_engine(settings, migrated=False)
    try:
        with migration_lock(engine):
            upgrade(engine, revision)
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    out.print(f"database at revision {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and whether it is the newest."""
    from accord.migrate import current_revision, head_revision

    settings = load_settings()
    try:
        with sync_engine(settings).connect() as conn:
            current = current_revision(conn)
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    head = head_revision()
    out.print(f"current: {current or 'none'}  newest: {head}")
    if current != head:
        raise typer.Exit(1)


def _load(document_paths: list[Path], engine: Engine, settings: Settings) -> LoadReport:
    from accord.content.service import bulk_mode, load_document, read_documents

    document = read_documents(document_paths)
    totals = {section: len(getattr(document, section)) for section in SECTIONS}
    with Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=sum(totals.values()) < 5_000,
    ) as progress:
        tasks = {section: progress.add_task(section, total=totals[section]) for section in SECTIONS}

        def advance(section: str, done: int) -> None:
            progress.update(tasks[section], completed=done)

        try:
            with bulk_mode():
                return load_document(engine, document, advance)
        except SQLAlchemyError as exc:
            database_error(settings, exc)


@fixtures_app.command("load")
def fixtures_load(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="YAML or JSON content files (default: the bundled fixtures).")
    ] = None,
) -> None:
    """Insert or update content by slug (idempotent: loading a file twice changes nothing)."""
    settings = load_settings()
    files = paths or fixture_files(bundled_fixtures_dir())
    try:
        report = _load(files, sync_engine(settings), settings)
    except DocumentError as exc:
        fail(str(exc))
    print_report(report)


@fixtures_app.command("synth")
def fixtures_synth(
    events: Annotated[int, typer.Option(min=1, max=5_000_000, help="Events to create.")] = 1000,
    partners: Annotated[int | None, typer.Option(min=3, help="Partners (default: events / 5).")] = None,
    agreements: Annotated[
        int | None, typer.Option(min=2, help="Agreements (default: 30% of events).")
    ] = None,
    exhibits: Annotated[int | None, typer.Option(min=2, help="Exhibits (default: 10% of events).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same content.")] = 20240601,
) -> None:
    """Load deterministic synthetic content at scale (for benchmarks)."""
    from accord.content.service import bulk_mode, load_document
    from accord.content.synth import synthesize

    settings = load_settings()
    with bulk_mode():
        document = synthesize(
            events=events,
            partners=partners or max(3, events // 5),
            agreements=agreements,
            exhibits=exhibits,
            seed=seed,
        )
    engine = sync_engine(settings)
    with Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        tasks = {s: progress.add_task(s, total=len(getattr(document, s))) for s in SECTIONS}
        try:
            with bulk_mode():
                report = load_document(
                    engine, document, lambda section, done: progress.update(tasks[section], completed=done)
                )
        except SQLAlchemyError as exc:
            database_error(settings, exc)
        except DocumentError as exc:
            fail(str(exc))
    print_report(report)


@app.command("export")
def export(
    file: Annotated[Path | None, typer.Argument(help="Write here instead of standard output.")] = None,
    fmt: Annotated[
        FileFormat | None, typer.Option("--format", help="json or yaml (default: from FILE).")
    ] = None,
) -> None:
    """Write all content, drafts and timestamps included, as one document."""
    from accord.content.files import format_for
    from accord.content.service import export_document

    settings = load_settings()
    if fmt is None:
        try:
            fmt = format_for(file) if file is not None else FileFormat.YAML
        except DocumentError as exc:
            fail(str(exc), 2)
    try:
        data = export_document(sync_engine(settings), fmt)
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    if file is None:
        sys.stdout.buffer.write(data)
    else:
        file.write_bytes(data)
        out.print(f"exported to {file}")


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="A document written by `accord export`.")]) -> None:
    """Load an exported document, timestamps and status included (upsert by slug)."""
    settings = load_settings()
    try:
        read_document(file)  # fail fast on a bad file, before touching the database
        report = _load([file], sync_engine(settings), settings)
    except DocumentError as exc:
        fail(str(exc))
    print_report(report)


@app.command("schema")
def schema() -> None:
    """Print the GraphQL schema (SDL) the server serves."""
    from accord.schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who or what uses the token; shown in revision history.")],
    role: Annotated[
        str,
        typer.Option(
            help="editor (create, update, publish, archive), admin (also delete) or preview "
            "(reads drafts like an editor, writes nothing)."
        ),
    ] = "editor",
) -> None:
    """Create a token and print it once, alone on the last line (only its hash is stored)."""
    from accord.core.auth import Role, TokenError, create_token

    settings = load_settings()
    try:
        chosen = Role(role)
    except ValueError:
        fail(f"--role must be editor, admin or preview, not {role!r}", 2)
    engine = sync_engine(settings)
    try:
        with engine.begin() as conn:
            token = create_token(conn, name=name, role=chosen)
    except TokenError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    err.print(f"token {name!r} ({chosen.value}) created; it is shown once, store it now:")
    sys.stdout.write(token + "\n")


@token_app.command("list")
def token_list() -> None:
    """List tokens (names, roles, dates; never the tokens themselves)."""
    from accord.core.auth import list_tokens, token_age

    settings = load_settings()
    try:
        with sync_engine(settings).connect() as conn:
            rows = list_tokens(conn)
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    table = Table("name", "role", "created", "revoked")
    for row in rows:
        table.add_row(
            row.name, row.role, token_age(row.created_at), token_age(row.revoked_at) if row.revoked_at else ""
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: requests with it are refused from now on."""
    from accord.core.auth import TokenError, revoke_token

    settings = load_settings()
    try:
        with sync_engine(settings).begin() as conn:
            revoke_token(conn, name)
    except TokenError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    out.print(f"revoked {name!r}")


@schedule_app.command("list")
def schedule_list() -> None:
    """List the publishes scheduled for later, soonest first (times in UTC)."""
    from accord.schedule.due import pending

    settings = load_settings()
    try:
        with sync_engine(settings).connect() as conn:
            scheduled = pending(conn)
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    if not scheduled:
        out.print("nothing is scheduled")
        return
    # One line each, never wrapped: easy to read, and to grep.
    sys.stdout.write("publish at (UTC)     type       status     slug  title\n")
    for item in scheduled:
        when = item.at.strftime("%Y-%m-%d %H:%M:%S")
        sys.stdout.write(f"{when}  {item.content.singular:<9}  {item.status:<9}  {item.slug}  {item.title}\n")


@preview_app.command("link")
def preview_link(
    slug: Annotated[str, typer.Argument(help="The event's slug.")],
    expires: Annotated[str, typer.Option(help="How long the link works: 30m, 24h, 7d (1m to 30d).")] = "24h",
) -> None:
    """Print a link that shows one event, published or not, on the timeline page until it expires."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from accord.content.model import EVENT
    from accord.core.errors import BadInput
    from accord.core.moments import parse_lifetime
    from accord.core.preview import link_for
    from accord.core.secrets import PREVIEW, stored_secret
    from accord.feeds.links import event_url

    settings = load_settings()
    try:
        lifetime = parse_lifetime(expires, field="--expires")
    except BadInput as exc:
        fail(str(exc), 2)
    table = EVENT.table
    try:
        with sync_engine(settings).begin() as conn:
            row = conn.execute(select(table.c.id, table.c.slug).where(table.c.slug == slug)).first()
            configured = settings.preview_secret
            secret = configured.get_secret_value() if configured else stored_secret(conn, PREVIEW)
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    if row is None:
        fail(f"no event with the slug {slug!r}")
    page = event_url(settings.public_url, row.slug)
    link = link_for(secret, page, EVENT.name, row.id, lifetime, datetime.now(UTC))
    err.print(f"preview of {row.slug!r}, valid until {link.expires:%Y-%m-%d %H:%M} UTC:", highlight=False)
    sys.stdout.write(link.url + "\n")


@secret_app.command("rotate")
def secret_rotate(
    name: Annotated[str, typer.Argument(help="Which secret: preview (signs preview links).")],
) -> None:
    """Replace a secret: everything signed with the old one stops working at once, on every instance."""
    from accord.core.secrets import NAMES, rotate_secret

    settings = load_settings()
    if name not in NAMES:
        fail(f"no secret named {name!r}: the secrets are {', '.join(NAMES)}", 2)
    if settings.preview_secret is not None:
        fail("ACCORD_PREVIEW_SECRET is set: the secret is that setting; change it to rotate")
    try:
        with sync_engine(settings).begin() as conn:
            rotate_secret(conn, name)
    except SQLAlchemyError as exc:
        database_error(settings, exc)
    out.print(
        f"rotated the {name} secret: every preview link made before is refused from now on",
        highlight=False,
        soft_wrap=True,
    )


def main() -> None:
    app()

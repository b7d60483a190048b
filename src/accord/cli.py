"""The ``accord`` command: serve, migrate, load and move content, print the schema."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Concatenate, NoReturn, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from accord.content.document import ContentDocument, DocumentError
from accord.content.files import FileFormat, bundled_fixtures_dir, fixture_files, read_document
from accord.content.loader import SECTIONS, LoadReport
from accord.settings import Settings

if TYPE_CHECKING:
    from accord.core.auth import Viewer
    from accord.push.admin import PushAdmin

app = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="accord: a GraphQL content service for a cooperation timeline.",
)


def command_group(name: str, help: str) -> typer.Typer:
    """A subcommand group of ``accord``: ``accord NAME ...``, its help shown when given no command."""
    group = typer.Typer(no_args_is_help=True, help=help)
    app.add_typer(group, name=name)
    return group


db_app = command_group("db", "Database schema migrations.")
fixtures_app = command_group("fixtures", "Load bundled or synthetic content.")
token_app = command_group("token", "API tokens for writes (Authorization: Bearer <token>).")
webhook_app = command_group(
    "webhook", "Webhook endpoints: signed calls when published content changes (docs/webhooks.md)."
)
media_app = command_group("media", "Images of exhibits and events (docs/media.md).")
schedule_app = command_group("schedule", "Publishes scheduled for later.")
preview_app = command_group("preview", "Preview links: a draft on the timeline page.")
secret_app = command_group("secret", "The server's own secrets.")

out = Console()
err = Console(stderr=True)
# The name revisions give writes made with the command rather than with a token.
CLI_ACTOR = "accord-cli"


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def exits_on(*errors: type[Exception], code: int = 1) -> Iterator[None]:
    """One of ``errors`` raised inside exits ``code`` with its message."""
    try:
        yield
    except errors as exc:
        fail(str(exc), code)


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
        with database_errors(settings), engine.connect() as conn:
            current = is_current(conn)
        if not current:
            fail("the database schema is not the newest: run `accord db upgrade` first")
    return engine


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """A database failure inside exits 1 with one line for the operator."""
    from accord.startup import describe_database_error

    try:
        yield
    except SQLAlchemyError as exc:
        fail(describe_database_error(settings, exc))


@contextmanager
def connected(settings: Settings, *, transaction: bool = False) -> Iterator[Connection]:
    """A connection to the configured database, whose schema must be the newest (in one transaction
    with ``transaction``); a database failure inside exits 1 with one line for the operator."""
    engine = sync_engine(settings)
    try:
        with database_errors(settings), engine.begin() if transaction else engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def print_report(report: LoadReport) -> None:
    table = Table("content", "inserted", "updated", "unchanged")
    columns = (report.inserted, report.updated, report.unchanged)
    for section in SECTIONS:
        table.add_row(section, *(str(counts[section]) for counts in columns))
    images = (report.images_inserted, report.images_updated, report.images_unchanged)
    if any(images):
        table.add_row("images", *(str(count) for count in images))
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
    with database_errors(settings), migration_lock(engine):
        upgrade(engine, revision)
    out.print(f"database at revision {revision}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and whether it is the newest."""
    from accord.migrate import current_revision, head_revision

    settings = load_settings()
    with connected(settings) as conn:
        current = current_revision(conn)
    head = head_revision()
    out.print(f"current: {current or 'none'}  newest: {head}")
    if current != head:
        raise typer.Exit(1)


def load_and_report(
    settings: Settings, read: Callable[[], ContentDocument], *, quiet_below: int = 5_000
) -> None:
    """Load the document ``read`` gives, with a progress bar on stderr shown from ``quiet_below``
    records, and print what changed; a document that cannot be read or loaded exits 1."""
    from accord.content.service import bulk_mode, load_document
    from accord.push.outbox import enqueue_after_load  # WebSub subscribers get the loaded content

    with exits_on(DocumentError):
        document = read()  # read and checked before the database is touched
        engine = sync_engine(settings)
        # Synthetic content has no images: no bar for them.
        sections = (*SECTIONS, "images") if getattr(document, "images") else SECTIONS  # noqa: B009
        totals = {section: len(getattr(document, section)) for section in sections}
        with Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=sum(totals.values()) < quiet_below,
        ) as progress:
            tasks = {section: progress.add_task(section, total=total) for section, total in totals.items()}

            def advance(section: str, done: int) -> None:
                progress.update(tasks[section], completed=done)

            with database_errors(settings), bulk_mode():
                report = load_document(engine, document, advance, after_load=enqueue_after_load)
    print_report(report)


@fixtures_app.command("load")
def fixtures_load(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="YAML or JSON content files (default: the bundled fixtures).")
    ] = None,
) -> None:
    """Insert or update content by slug (idempotent: loading a file twice changes nothing)."""
    from accord.content.service import read_documents

    settings = load_settings()
    files = paths or fixture_files(bundled_fixtures_dir())
    load_and_report(settings, lambda: read_documents(files))


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
    from accord.content.service import bulk_mode
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
    load_and_report(settings, lambda: document, quiet_below=0)


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
        with exits_on(DocumentError, code=2):
            fmt = format_for(file) if file is not None else FileFormat.YAML
    with database_errors(settings):
        data = export_document(sync_engine(settings), fmt)
    if file is None:
        sys.stdout.buffer.write(data)
    else:
        file.write_bytes(data)
        out.print(f"exported to {file}")


@app.command("import")
def import_(file: Annotated[Path, typer.Argument(help="A document written by `accord export`.")]) -> None:
    """Load an exported document, timestamps and status included (upsert by slug)."""
    settings = load_settings()
    load_and_report(settings, lambda: read_document(file))


@app.command("schema")
def schema() -> None:
    """Print the GraphQL schema (SDL) the server serves."""
    from accord.services import build_services

    # Built as `accord serve` builds it (push delivery adds its admin fields); nothing connects.
    sys.stdout.write(build_services(load_settings()).pipeline.schema.as_str() + "\n")


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
    with exits_on(TokenError), connected(settings, transaction=True) as conn:
        token = create_token(conn, name=name, role=chosen)
    err.print(f"token {name!r} ({chosen.value}) created; it is shown once, store it now:")
    sys.stdout.write(token + "\n")


@token_app.command("list")
def token_list() -> None:
    """List tokens (names, roles, dates; never the tokens themselves)."""
    from accord.core.auth import list_tokens, token_age

    settings = load_settings()
    with connected(settings) as conn:
        rows = list_tokens(conn)
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
    with exits_on(TokenError), connected(settings, transaction=True) as conn:
        revoke_token(conn, name)
    out.print(f"revoked {name!r}")


# -- webhooks (accord.push.admin): the same plain functions GraphQL calls, as the local admin --

T = TypeVar("T")
P = ParamSpec("P")


def run_push_admin(
    action: Callable[Concatenate[PushAdmin, Viewer, P], Awaitable[T]], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run one admin function on the configured database, as the local admin; a client error exits 1
    with its message."""
    from accord.core.auth import Role, Viewer
    from accord.core.errors import ClientError
    from accord.db import create_async_db_engine
    from accord.push.admin import PushAdmin

    settings = load_settings()
    sync_engine(settings).dispose()  # the schema must be the newest

    async def run() -> T:
        engine = create_async_db_engine(settings.database_url)
        try:
            return await action(
                PushAdmin(engine, settings), Viewer(name="cli", role=Role.ADMIN), *args, **kwargs
            )
        finally:
            await engine.dispose()

    with exits_on(ClientError), database_errors(settings):
        return asyncio.run(run())


# The endpoint a command acts on, by the id `accord webhook list` shows.
EndpointId = Annotated[int, typer.Argument(help="The endpoint's id.")]


@webhook_app.command("add")
def webhook_add(
    url: Annotated[str, typer.Argument(help="Where to POST the events (https:// in production).")],
    events: Annotated[
        list[str],
        typer.Option(
            "--events", "-e", help="Event types, comma-separated or repeated (e.g. milestone.published)."
        ),
    ],
    partner: Annotated[str | None, typer.Option(help="Only content about this partner (slug).")] = None,
    tag: Annotated[str | None, typer.Option(help="Only events with this tag.")] = None,
    description: Annotated[str | None, typer.Option(help="A note for admins.")] = None,
    secret: Annotated[
        str | None, typer.Option(help="A whsec_... secret of your own (default: a new random one).")
    ] = None,
) -> None:
    """Register an endpoint and print its signing secret once, alone on the last line."""
    from accord.push.admin import create_webhook

    names = [name.strip() for value in events for name in value.split(",") if name.strip()]
    created = run_push_admin(
        create_webhook,
        url=url,
        events=names,
        partner=partner,
        tag=tag,
        description=description,
        secret=secret,
    )
    hook = created.webhook
    err.print(
        f"webhook {hook.id} created for {hook.url} ({', '.join(hook.events)}); "
        "its signing secret is shown once, store it now:",
        highlight=False,
        soft_wrap=True,
    )
    sys.stdout.write(created.secret + "\n")


@webhook_app.command("list")
def webhook_list() -> None:
    """List endpoints: events, filters, enabled or why disabled (never the secrets)."""
    from accord.push.admin import list_webhooks

    hooks = run_push_admin(list_webhooks)
    table = Table("id", "url", "events", "filter", "state", "failures in a row")
    for hook in hooks:
        filters = ", ".join(f"{k}={v}" for k, v in (("partner", hook.partner), ("tag", hook.tag)) if v)
        state = "enabled" if hook.enabled else f"disabled: {hook.disabled_reason or 'by an admin'}"
        table.add_row(
            str(hook.id), hook.url, ", ".join(hook.events), filters, state, str(hook.consecutive_failures)
        )
    out.print(table)


@webhook_app.command("remove")
def webhook_remove(
    endpoint_id: Annotated[int, typer.Argument(help="The endpoint's id (webhook list).")],
) -> None:
    """Remove an endpoint and its delivery history."""
    from accord.push.admin import delete_webhook

    run_push_admin(delete_webhook, endpoint_id)
    out.print(f"removed webhook {endpoint_id}")


@webhook_app.command("enable")
def webhook_enable(endpoint_id: EndpointId) -> None:
    """Enable an endpoint again (its failure count starts from zero)."""
    from accord.push.admin import update_webhook

    run_push_admin(update_webhook, endpoint_id, enabled=True)
    out.print(f"webhook {endpoint_id} enabled")


@webhook_app.command("disable")
def webhook_disable(endpoint_id: EndpointId) -> None:
    """Stop sending to an endpoint (what is pending for it is not sent)."""
    from accord.push.admin import update_webhook

    run_push_admin(update_webhook, endpoint_id, enabled=False)
    out.print(f"webhook {endpoint_id} disabled")


@webhook_app.command("test")
def webhook_test(endpoint_id: EndpointId) -> None:
    """Send a signed webhook.test event now and print the answer (exit 1 unless 2xx)."""
    from accord.push.admin import send_test
    from accord.push.deliverer import Outcome
    from accord.push.service import PushService

    instance = f"cli-{os.getpid()}"

    async def test(admin: PushAdmin, viewer: Viewer) -> Outcome:
        # Queued already claimed by this process's deliverer, which sends it at once.
        push = PushService(
            admin.settings, engine=admin.engine, transaction=admin.engine.begin, instance=instance
        )
        try:
            queued = await send_test(push.admin, viewer, endpoint_id, claimed_by=instance)
            (outcome,) = await push.deliverer.deliver([queued.id])
            return outcome
        finally:
            await push.sender.close()

    outcome = run_push_admin(test)
    answer = outcome.answer
    webhook_id = outcome.claimed.webhook_id
    if answer is None:
        fail(f"not sent ({webhook_id}): {outcome.reason}")
    if not answer.ok:
        fail(f"webhook.test {webhook_id} failed: {answer.describe()}")
    out.print(f"webhook.test {webhook_id} delivered: HTTP {answer.status_code}")


@webhook_app.command("deliveries")
def webhook_deliveries(
    endpoint_id: EndpointId,
    status: Annotated[
        str | None, typer.Option(help="Only pending, delivered, failed or cancelled ones.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 20,
) -> None:
    """An endpoint's recent deliveries: status, answer, attempts, next attempt."""
    from accord.push.admin import list_deliveries

    rows = run_push_admin(list_deliveries, endpoint_id, status=status, first=limit)
    table = Table("id", "webhook-id", "event", "change", "status", "attempts", "answer", "next attempt")
    for row in rows:
        answer = str(row.last_status_code or "") if row.last_error is None else row.last_error
        table.add_row(
            str(row.id),
            row.webhook_id,
            row.event_type,
            str(row.change_id or ""),
            row.status,
            str(row.attempts),
            answer,
            f"{row.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC" if row.next_attempt_at else "",
        )
    out.print(table)


@webhook_app.command("replay")
def webhook_replay(
    delivery_id: Annotated[int, typer.Argument(help="The delivery's id (webhook deliveries).")],
) -> None:
    """Send a failed delivery again (same webhook-id and body); a running server picks it up."""
    from accord.push.admin import replay_delivery

    view = run_push_admin(replay_delivery, delivery_id)
    out.print(f"delivery {view.id} ({view.webhook_id}) queued again")


# -- end of webhooks --


@media_app.command("add")
def media_add(
    file: Annotated[Path, typer.Argument(help="A JPEG, PNG, WebP or GIF file.")],
    alt_en: Annotated[str, typer.Option("--alt-en", help="What the image shows, in English.")],
    exhibit: Annotated[str | None, typer.Option(help="Slug of the exhibit to show it on.")] = None,
    event: Annotated[str | None, typer.Option(help="Slug of the event to show it on.")] = None,
    alt_zh: Annotated[
        str | None, typer.Option("--alt-zh", help="What the image shows, in Traditional Chinese.")
    ] = None,
    credit: Annotated[str | None, typer.Option(help="Who made the picture or owns it.")] = None,
) -> None:
    """Store an image and show it on an exhibit or an event; prints the image's id on the last line.

    The file is checked and cleaned as every upload is (docs/media.md): a refused file stores nothing.
    The same picture added again is the same image: it gets the alt text and credit given now."""
    from accord.content.model import EVENT, EXHIBIT
    from accord.core.errors import BadInput, ClientError
    from accord.core.ids import to_global_id
    from accord.media import (
        ImageRefused,
        MediaLimits,
        OwnerKind,
        check_upload_size,
        describe_image,
        media_url,
        owner_by_slug,
    )
    from accord.write.images import OwnerRef

    settings = load_settings()
    if (exhibit is None) == (event is None):
        fail("give exactly one of --exhibit SLUG or --event SLUG", 2)
    kind, slug = (OwnerKind.EXHIBIT, exhibit) if exhibit is not None else (OwnerKind.EVENT, event)
    content = EXHIBIT if kind is OwnerKind.EXHIBIT else EVENT
    assert slug is not None
    limits = MediaLimits.from_settings(settings)
    options = {"alt.en": "--alt-en", "alt.zhTw": "--alt-zh", "credit": "--credit"}
    try:
        description = describe_image({"en": alt_en, "zh_tw": alt_zh}, credit)
    except BadInput as exc:
        field = exc.field or ""
        fail(f"{options.get(field, field)}{str(exc).removeprefix(field)}", 2)
    try:
        if not file.is_file():
            fail(f"{file}: not a file")
        check_upload_size(file.stat().st_size, limits)
        with file.open("rb") as stream:  # never more than the limit, even from a file still growing
            data = stream.read(limits.max_upload_bytes + 1)
    except ImageRefused as exc:
        fail(f"{file}: {exc.detail}")
    except OSError as exc:
        fail(f"{file}: cannot read it ({exc.strerror or exc})")
    with connected(settings) as conn:
        found = owner_by_slug(conn, kind, slug)
    if found is None:
        fail(f"--{kind.value}: no {kind.value} with slug {slug!r}")
    owner = OwnerRef(content, to_global_id(content.name, found.id), f"--{kind.value}")
    try:
        with database_errors(settings):
            image, created = asyncio.run(_upload_with_writer(settings, data, description, owner, limits))
    except ImageRefused as exc:
        fail(f"{file}: {exc.detail}")
    except ClientError as exc:
        fail(str(exc))
    what = "stored" if created else "already stored"
    url = media_url(settings.public_url, image.content_hash, image.width)
    err.print(
        f"{what}: {image.width} x {image.height} {image.format.value}, "
        f"{image.byte_size:,} bytes; shown on the {kind.value} {slug!r}: {url}",
        highlight=False,
        soft_wrap=True,
    )
    sys.stdout.write(image.global_id + "\n")


async def _upload_with_writer(
    settings: Settings, data: bytes, description: Any, owner: Any, limits: Any
) -> tuple[Any, bool]:
    """An upload through the writer, as a mutation makes it: one transaction with the image, the
    item's revision, the change log and the webhooks' deliveries; a PostgreSQL NOTIFY tells running
    servers at once (SQLite servers see the change log on their next poll)."""
    from accord.core.auth import Role, Viewer
    from accord.db import create_async_db_engine
    from accord.services import committing_writer
    from accord.write.images import ImageWriter
    from accord.write.transaction import create_write_engine

    primary = create_async_db_engine(settings.database_url)
    write_engine = create_write_engine(settings.database_url, primary)
    try:
        operator = Viewer(CLI_ACTOR, Role.EDITOR)
        return await ImageWriter(committing_writer(write_engine), limits).upload(
            operator, data, description, [owner]
        )
    finally:
        for engine in {id(e): e for e in (write_engine, primary)}.values():
            await engine.dispose()


@schedule_app.command("list")
def schedule_list() -> None:
    """List the publishes scheduled for later, soonest first (times in UTC)."""
    from accord.schedule.due import pending

    settings = load_settings()
    with connected(settings) as conn:
        scheduled = pending(conn)
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
    with exits_on(BadInput, code=2):
        lifetime = parse_lifetime(expires, field="--expires")
    table = EVENT.table
    with connected(settings, transaction=True) as conn:
        row = conn.execute(select(table.c.id, table.c.slug).where(table.c.slug == slug)).first()
        configured = settings.preview_secret
        secret = configured.get_secret_value() if configured else stored_secret(conn, PREVIEW)
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
    with connected(settings, transaction=True) as conn:
        rotate_secret(conn, name)
    out.print(
        f"rotated the {name} secret: every preview link made before is refused from now on",
        highlight=False,
        soft_wrap=True,
    )


def main() -> None:
    app()

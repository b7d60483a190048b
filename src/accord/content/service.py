"""Content operations the CLI runs: load files, export, import, synthesize."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, func, insert, select, text

from accord.content.document import ContentDocument, DocumentError, merge_documents
from accord.content.files import FileFormat, dump_document, read_document
from accord.content.loader import ContentLoader, LoadReport, Progress
from accord.content.model import CONTENT_TYPES
from accord.content.reader import read_document as read_stored_document
from accord.core.tables import changes
from accord.models.audit import CHANGE_LOG_LOCK
from accord.models.columns import utcnow


def read_documents(paths: list[Path]) -> ContentDocument:
    """All files parsed and validated before any is loaded: one bad file loads nothing."""
    documents = [read_document(path) for path in paths]
    return documents[0] if len(documents) == 1 else merge_documents(documents)


# Run inside a load's transaction once its change-log row exists (the change-log id is given).
AfterLoad = Callable[[Connection, int], object]


def load_document(
    engine: Engine,
    document: ContentDocument,
    progress: Progress | None = None,
    after_load: AfterLoad | None = None,
) -> LoadReport:
    """Load a document in one transaction. A load that changed something adds one change-log row
    (action ``load``) and runs ``after_load`` before committing."""
    with engine.begin() as conn:
        report = ContentLoader(conn, progress=progress).load(document)
        if report.changed:
            # Running servers see a new content version (their response caches drop what they hold).
            if conn.dialect.name == "postgresql":  # see accord.write.content.lock_change_log
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})
            change_id = conn.execute(
                insert(changes)
                .values(
                    at=utcnow(),
                    content_type="content",
                    content_id=0,
                    action="load",
                    milestone_published=False,
                )
                .returning(changes.c.id)
            ).scalar_one()
            if after_load is not None:
                after_load(conn, change_id)
    if sum(report.inserted.values()) > 1000:
        refresh_statistics(engine)
    return report


def refresh_statistics(engine: Engine) -> None:
    """Fresh planner statistics after a bulk load, so queries keep their index plans at any size."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def load_files(engine: Engine, paths: list[Path], progress: Progress | None = None) -> LoadReport:
    document = read_documents(paths)
    sources = ", ".join(str(path) for path in paths)
    try:
        return load_document(engine, document, progress)
    except DocumentError as exc:
        raise DocumentError(f"{sources}: {exc}") from None


def export_document(engine: Engine, fmt: FileFormat) -> bytes:
    with engine.connect() as conn:
        return dump_document(read_stored_document(conn), fmt)


def content_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            content.plural: conn.execute(select(func.count()).select_from(content.table)).scalar_one()
            for content in CONTENT_TYPES
        }


def is_empty(engine: Engine) -> bool:
    return not any(content_counts(engine).values())


@contextmanager
def bulk_mode() -> Iterator[None]:
    """No cyclic garbage collection while millions of short-lived records exist: it only rescans them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

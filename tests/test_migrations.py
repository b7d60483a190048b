"""The models and the migrations describe the same schema, on both backends."""

from __future__ import annotations

from sqlalchemy import inspect

from accord.db import create_sync_engine
from accord.migrate import current_revision, head_revision, model_drift, upgrade


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_sync_engine(database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            assert model_drift(conn) == []
            assert current_revision(conn) == head_revision()
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    engine = create_sync_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"event", "partner", "agreement", "exhibit", "event_partner", "search_document"} <= tables
    finally:
        engine.dispose()


def test_drift_is_detected(database_url: str) -> None:
    """The comparison can fail: a database missing an index is reported."""
    engine = create_sync_engine(database_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_event_kind")
        with engine.connect() as conn:
            drift = model_drift(conn)
        assert any(change[0] == "add_index" and change[1].name == "ix_event_kind" for change in drift)
    finally:
        engine.dispose()

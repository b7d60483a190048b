"""The server's own secrets, kept in the database so that every instance shares them.

A secret is generated the first time it is needed (instances racing to create it agree on the
first one written) and replaced by ``accord secret rotate NAME``. A setting may provide it instead
(``ACCORD_PREVIEW_SECRET``); the database then holds nothing for it.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accord.core.tables import server_secrets
from accord.models.columns import utcnow

PREVIEW = "preview"  # signs preview links (accord.core.preview)
NAMES = (PREVIEW,)


def _new_value() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def stored_secret(conn: Connection, name: str) -> str:
    """The secret ``name``, created now if the database holds none yet."""
    query = select(server_secrets.c.value).where(server_secrets.c.name == name)
    found = conn.execute(query).scalar()
    if found is not None:
        return str(found)
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        insert(server_secrets)
        .values(name=name, value=_new_value(), created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    # Another instance may have written one first: everybody uses the one that was stored.
    return str(conn.execute(query).scalar_one())


def rotate_secret(conn: Connection, name: str) -> None:
    """Replace the secret: everything signed with the old one stops working at once."""
    stored_secret(conn, name)
    conn.execute(
        update(server_secrets)
        .where(server_secrets.c.name == name)
        .values(value=_new_value(), created_at=utcnow())
    )

"""API tokens: created by the CLI, sent as ``Authorization: Bearer <token>``.

Only the SHA-256 of a token is stored. Tokens are 32 random bytes, so a fast hash is safe: there is
nothing to brute-force, and verification costs one indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from accord.core.errors import Forbidden, Unauthenticated
from accord.core.tables import api_tokens as tokens
from accord.models.columns import utcnow

TOKEN_PREFIX = "acc_"  # noqa: S105  (a recognisable prefix, not a secret)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")


class Role(StrEnum):
    EDITOR = "editor"
    ADMIN = "admin"
    PREVIEW = "preview"  # reads what editors read, writes nothing: for build servers and staging sites


# What each role may do; admins may do everything editors may, previews only read.
PREVIEW_ACTIONS = frozenset({"read_drafts"})
EDITOR_ACTIONS = PREVIEW_ACTIONS | {"create", "update", "publish", "archive", "restore", "preview_link"}
# manage_webhooks: webhook endpoints and their deliveries (accord.push.admin).
ADMIN_ACTIONS = EDITOR_ACTIONS | {"delete", "manage_webhooks"}
ROLE_ACTIONS = {Role.PREVIEW: PREVIEW_ACTIONS, Role.EDITOR: EDITOR_ACTIONS, Role.ADMIN: ADMIN_ACTIONS}


@dataclass(frozen=True, slots=True)
class Viewer:
    name: str
    role: Role

    def allows(self, action: str) -> bool:
        return action in ROLE_ACTIONS[self.role]

    @property
    def reads_only(self) -> bool:
        """A role that may run no mutation at all (the operation pipeline refuses them whole)."""
        return self.role is Role.PREVIEW


class TokenError(ValueError):
    """A token command that cannot be carried out (duplicate or unknown name, bad name)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(conn: Connection, *, name: str, role: Role) -> str:
    if not NAME_PATTERN.match(name):
        raise TokenError("a token name is 1-80 letters, digits and . _ @ - (starting with a letter or digit)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    # A revoked token gives its name back (revisions keep the name as text, not a reference).
    conn.execute(delete(tokens).where(tokens.c.name == name, tokens.c.revoked_at.is_not(None)))
    try:
        conn.execute(
            insert(tokens).values(
                name=name, role=role.value, token_hash=hash_token(token), created_at=utcnow()
            )
        )
    except IntegrityError:
        raise TokenError(
            f"an active token named {name!r} exists (revoke it first, or pick another name)"
        ) from None
    return token


def list_tokens(conn: Connection) -> list[Any]:
    return list(
        conn.execute(
            select(tokens.c.name, tokens.c.role, tokens.c.created_at, tokens.c.revoked_at).order_by(
                tokens.c.name
            )
        )
    )


def revoke_token(conn: Connection, name: str) -> None:
    result = conn.execute(
        update(tokens).where(tokens.c.name == name, tokens.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    if result.rowcount == 0:
        raise TokenError(f"no active token named {name!r}")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header; raises for any other scheme."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send the token as `Authorization: Bearer <token>`")
    return token.strip()


async def authenticate(engine: AsyncEngine, token: str) -> Viewer:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(tokens.c.name, tokens.c.role).where(
                    tokens.c.token_hash == hash_token(token), tokens.c.revoked_at.is_(None)
                )
            )
        ).first()
    if row is None:
        raise Unauthenticated("unknown or revoked token")
    return Viewer(name=row.name, role=Role(row.role))


ACTION_WORDS = {
    "read_drafts": "reading drafts and revisions",
    "preview_link": "make preview links",
    "manage_webhooks": "manage webhooks",
}


def require(viewer: Viewer | None, action: str) -> Viewer:
    words = ACTION_WORDS.get(action, action)
    if viewer is None:
        raise Unauthenticated(f"{words} needs a token: send `Authorization: Bearer <token>`")
    if not viewer.allows(action):
        raise Forbidden(f"the {viewer.role.value} role may not {words}")
    return viewer


def token_age(created_at: datetime) -> str:
    return created_at.strftime("%Y-%m-%d %H:%M UTC")

"""The fast path as the operation pipeline uses it: answer a prepared query, or step aside."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import DocumentNode, GraphQLSchema

from accord.core.errors import ClientError
from accord.core.lru import ByteLRU
from accord.fastpath.executor import Unsupported, execute_fast
from accord.fastpath.sql_json import Compiled
from accord.schema.context import Context

log = logging.getLogger("accord.fastpath")

# SQL compiled per document, root field, locale, visibility and variables (a few KB each).
SQL_CACHE_BYTES = 16 * 1024 * 1024
SQL_CACHE_ENTRIES = 4096


class FastPath:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.sql: ByteLRU[Compiled] = ByteLRU(max_bytes=SQL_CACHE_BYTES, max_entries=SQL_CACHE_ENTRIES)

    async def answer(
        self,
        document: DocumentNode,
        document_key: bytes,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        context: Context,
        *,
        want_version: bool = False,
    ) -> tuple[dict[str, Any], int | None] | None:
        """The ``data`` of a query and, with ``want_version``, the content version its first statement
        read; None for strawberry to answer (and report errors). ``document_key`` identifies the
        document and the variables it declares (the SQL cache's key)."""
        try:
            return await execute_fast(
                self.schema,
                document,
                operation_name,
                variables,
                db=context.db,
                locale=context.locale,
                visibility=context.visibility,
                sql_cache=(self.sql, document_key),
                want_version=want_version,
                media_base=context.media_base,
            )
        except Unsupported as reason:
            log.debug("fast path declined: %s", reason)
            return None
        except ClientError:
            await context.db.close()
            return None  # the client's mistake: the general executor reports it, with its path
        except Exception:
            # The general executor answers (and is the reference); a failure here is still a bug
            # that production must see.
            incident = uuid.uuid4().hex[:12]
            log.warning(
                "fast path failed (incident %s); the general executor answers", incident, exc_info=True
            )
            await context.db.close()
            return None

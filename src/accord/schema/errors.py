"""Every GraphQL error leaves with an ``extensions.code``; unexpected ones leave without details."""

from __future__ import annotations

import logging
import uuid

from graphql import GraphQLError, GraphQLSyntaxError

from accord.core.errors import ClientError

log = logging.getLogger("accord.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"


def classify(error: GraphQLError, *, mask: bool) -> None:
    """Set ``extensions.code`` (and mask the message of an unexpected error when ``mask``)."""
    extensions = dict(error.extensions or {})
    if "code" in extensions:
        return
    original = error.original_error
    if isinstance(original, ClientError):
        extensions["code"] = original.code
        if original.field:
            extensions["field"] = original.field
    elif isinstance(error, GraphQLSyntaxError):
        too_long = "tokens. Parsing aborted" in error.message
        extensions["code"] = "TOKEN_LIMIT_EXCEEDED" if too_long else "GRAPHQL_PARSE_FAILED"
    elif original is None and error.path is None:
        # Variable coercion problems are the caller's input; everything else here is validation.
        is_variable = error.message.startswith("Variable '$")
        extensions["code"] = "BAD_USER_INPUT" if is_variable else "GRAPHQL_VALIDATION_FAILED"
    elif original is None or isinstance(original, GraphQLError):
        extensions["code"] = "BAD_USER_INPUT"
    else:
        incident = uuid.uuid4().hex[:12]
        log.error("unexpected error %s in %s", incident, error.path, exc_info=original)
        extensions["code"] = INTERNAL
        extensions["incident"] = incident
        if mask:
            error.message = f"Internal server error (incident {incident})"
    error.extensions = extensions

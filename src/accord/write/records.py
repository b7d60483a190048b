"""Mutation inputs as content records: the same validation as fixture files, with GraphQL field names
in the messages (``input.date.month``)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import ValidationError

from accord.content.document import RECORD_TYPES, ContentRecord
from accord.content.model import ContentType
from accord.core.errors import BadInput

_PREFIXED = re.compile(r"^([a-z_]+): (.*)$", re.DOTALL)
NESTED_INPUT_NAMES = {"zh_tw": "zhTw"}


def input_path(content: ContentType, loc: tuple[int | str, ...], prefix: str = "input") -> str:
    """A record field's location as the GraphQL input names it (``input.endDate.month``)."""
    names = {spec.record: spec.input_name for spec in content.fields if spec.record and spec.input_name}
    path = prefix
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith("function-"):
            path += "." + (names.get(part, part) if depth == 0 else NESTED_INPUT_NAMES.get(part, part))
    return path


def build_record(content: ContentType, data: dict[str, Any]) -> ContentRecord:
    try:
        return RECORD_TYPES[content.name].model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        loc = tuple(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        # Model-level checks name the part they refer to as "field: message".
        while (match := _PREFIXED.match(message)) is not None:
            loc, message = (*loc, match.group(1)), match.group(2)
        path = input_path(content, loc)
        raise BadInput(f"{path}: {message}", field=path) from None


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:100].rstrip("-") or "item"

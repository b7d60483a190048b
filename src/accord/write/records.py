"""Mutation inputs as content records: the same validation as fixture files, with GraphQL field names
in the messages (``input.date.month``)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import ValidationError

from accord.content.document import (
    AgreementRecord,
    ContentRecord,
    EventRecord,
    ExhibitRecord,
    PartnerRecord,
)
from accord.core.errors import BadInput

RECORD_OF_SECTION: dict[str, type[ContentRecord]] = {
    "partners": PartnerRecord,
    "agreements": AgreementRecord,
    "exhibits": ExhibitRecord,
    "events": EventRecord,
}
# Record field -> GraphQL input field, where they differ.
INPUT_NAMES = {
    "zh_tw": "zhTw",
    "milestone": "isMilestone",
    "end_date": "endDate",
    "signed_on": "signedOn",
    "short_name": "shortName",
    "image_url": "imageUrl",
}
_PREFIXED = re.compile(r"^([a-z_]+): (.*)$", re.DOTALL)


def input_path(loc: tuple[int | str, ...], prefix: str = "input") -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith("function-"):
            path += "." + INPUT_NAMES.get(part, part)
    return path


def build_record(section: str, data: dict[str, Any]) -> ContentRecord:
    try:
        return RECORD_OF_SECTION[section].model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        loc = tuple(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        # Model-level checks name the part they refer to as "field: message".
        while (match := _PREFIXED.match(message)) is not None:
            loc, message = (*loc, match.group(1)), match.group(2)
        path = input_path(loc)
        raise BadInput(f"{path}: {message}", field=path) from None


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:100].rstrip("-") or "item"

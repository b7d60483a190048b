"""What an image says about itself, validated once for every way in: an upload's alt text and credit,
and an image record of an export (its description, its metadata and its bytes as base64)."""

from __future__ import annotations

import base64
import binascii
import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from accord.core.errors import BadInput
from accord.media.formats import OriginalFormat
from accord.models.media import ALT_LENGTH, CREDIT_LENGTH, PLACEHOLDER_LENGTH

CONTENT_HASH_PATTERN = r"^[0-9a-f]{64}$"
ContentHash = Annotated[str, Field(pattern=CONTENT_HASH_PATTERN)]
# BlurHash's base-83 alphabet.
PLACEHOLDER_PATTERN = r"^[0-9A-Za-z#$%*+,\-.:;=?@\[\]^_{|}~]+$"
COLOR_PATTERN = r"^#[0-9a-f]{6}$"


def _one_line(value: str) -> str:
    """Alt text and credits end up in HTML attributes, feeds and captions: one line, printable."""
    if not value.strip():
        raise ValueError("must not be blank")
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise ValueError("must be one line without control characters")
    return value


class Record(BaseModel):
    """Records of this module refuse unknown keys and do not change, like the content document's
    (accord.content.document.Record); their text is checked by ``_one_line``, which refuses every
    control character, the ones XML cannot carry among them."""

    model_config = ConfigDict(extra="forbid", frozen=True)


AltText = Annotated[str, Field(min_length=1, max_length=ALT_LENGTH), AfterValidator(_one_line)]
Credit = Annotated[str, Field(min_length=1, max_length=CREDIT_LENGTH), AfterValidator(_one_line)]


class LocalizedAlt(Record):
    """What the image shows, for people who cannot see it; Traditional Chinese falls back to English."""

    en: AltText
    zh_tw: AltText | None = None


class ImageDescription(Record):
    alt: LocalizedAlt
    credit: Credit | None = None


# Record keys as the GraphQL inputs name them (LocalizedTextInput's zhTw).
_INPUT_NAMES = {"zh_tw": "zhTw"}


def describe_image(
    alt: Mapping[str, Any], credit: str | None = None, *, prefix: str = ""
) -> ImageDescription:
    """The alt text and credit of an upload or an update, checked; BadInput names the field
    (``alt.en``, ``alt.zhTw``, ``credit``, after ``prefix`` when given)."""
    try:
        return ImageDescription.model_validate({"alt": dict(alt), "credit": credit or None})
    except ValidationError as exc:
        problem = exc.errors()[0]
        parts = [str(part) for part in problem["loc"] if not str(part).startswith("function-")]
        path = prefix + ".".join(_INPUT_NAMES.get(part, part) for part in parts) if parts else "alt"
        message = problem["msg"].removeprefix("Value error, ")
        raise BadInput(f"{path}: {message}", field=path) from None


class ImageRecord(Record):
    """One image as an export carries it: everything the database holds, the original as base64.

    Written back, it gives the same row and the same bytes (``content_hash`` is checked against them,
    and the bytes against what accord stores: an accepted format, no metadata, within the pixel limit).
    """

    content_hash: ContentHash
    format: OriginalFormat
    width: Annotated[int, Field(ge=1)]
    height: Annotated[int, Field(ge=1)]
    byte_size: Annotated[int, Field(ge=1)]
    alt: LocalizedAlt
    credit: Credit | None = None
    placeholder: Annotated[str, Field(max_length=PLACEHOLDER_LENGTH, pattern=PLACEHOLDER_PATTERN)]
    dominant_color: Annotated[str, Field(pattern=COLOR_PATTERN)]
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    data: str  # base64 (RFC 4648, with padding, no line breaks) of the original's bytes

    def original_bytes(self) -> bytes:
        try:
            return base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("data: not base64") from None


def encode_data(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

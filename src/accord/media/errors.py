"""Why an upload is refused. ``ImageRefused`` is a ``BadInput``: GraphQL answers it as BAD_USER_INPUT
with the message, the CLI prints it; nothing is stored either way."""

from __future__ import annotations

from enum import StrEnum

from accord.core.errors import BadInput
from accord.media.formats import ACCEPTED_UPLOADS


class Refusal(StrEnum):
    EMPTY = "EMPTY"
    TOO_LARGE = "TOO_LARGE"
    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    SVG = "SVG"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"
    DAMAGED = "DAMAGED"


class ImageRefused(BadInput):
    """An upload accord will not store; ``reason`` says which rule refused it, ``detail`` says why
    in words (the message is ``field: detail``)."""

    def __init__(self, reason: Refusal, detail: str, *, field: str = "file") -> None:
        super().__init__(f"{field}: {detail}", field=field)
        self.reason = reason
        self.detail = detail


def empty() -> ImageRefused:
    return ImageRefused(Refusal.EMPTY, "the file is empty")


def too_large(size: int, limit: int) -> ImageRefused:
    return ImageRefused(
        Refusal.TOO_LARGE,
        f"the file is {size:,} bytes, "
        f"over the upload limit of {limit:,} bytes ({limit / (1024 * 1024):g} MiB)",
    )


def not_an_image() -> ImageRefused:
    return ImageRefused(
        Refusal.NOT_AN_IMAGE, f"not an image accord can read (accord accepts {ACCEPTED_UPLOADS})"
    )


def svg() -> ImageRefused:
    return ImageRefused(
        Refusal.SVG,
        "SVG images are refused because they can carry scripts; "
        f"upload a {ACCEPTED_UPLOADS.replace(' and ', ' or ')} instead",
    )


def unsupported(name: str) -> ImageRefused:
    return ImageRefused(
        Refusal.UNSUPPORTED_FORMAT, f"a {name} file; accord accepts {ACCEPTED_UPLOADS} images only"
    )


def too_many_pixels(width: int, height: int, limit: int) -> ImageRefused:
    return ImageRefused(
        Refusal.TOO_MANY_PIXELS,
        f"the image is {width:,} x {height:,} pixels ({width * height:,}), "
        f"over the limit of {limit:,} pixels",
    )


def damaged(problem: str) -> ImageRefused:
    return ImageRefused(Refusal.DAMAGED, f"the image is truncated or damaged ({problem})")

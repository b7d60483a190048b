"""What accord takes in and hands out: upload formats, variant formats and widths, negotiation.

The variant URL space is finite on purpose: an image has at most ``len(WIDTHS)`` widths (fewer when
it is small: nothing is upscaled) in at most three formats, and any other width snaps to the
nearest of them. So the disk cache holds a bounded number of files per image, and a crawler asking
for every width from 1 to 99999 builds nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from PIL import features

# Widths of the variants, in pixels. An image narrower than one of them gets its own width instead.
WIDTHS = (320, 640, 1280, 2048)
LARGEST_WIDTH_DIGITS = 5  # a width in a URL has at most this many digits (99999 snaps to the largest)


class _PillowFormat(StrEnum):
    """A format Pillow names by its value in capitals (unless a subclass says otherwise)."""

    @property
    def pillow_name(self) -> str:
        return self.value.upper()


class UploadFormat(_PillowFormat):
    """Formats accepted for upload, by their real content (never by file name)."""

    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"
    GIF = "gif"


ACCEPTED_UPLOADS = "JPEG, PNG, WebP and GIF"


class OriginalFormat(_PillowFormat):
    """Formats of the stored original: JPEG stays JPEG; PNG and GIF become PNG (lossless); WebP stays
    WebP (lossless when the upload was)."""

    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"


class VariantFormat(_PillowFormat):
    """Formats variants are served in; the value is the URL's file extension. GraphQL knows it as
    ``ImageFormat`` (AVIF, WEBP, JPEG)."""

    AVIF = "avif"
    WEBP = "webp"
    JPEG = "jpg"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def pillow_name(self) -> str:
        return "JPEG" if self is VariantFormat.JPEG else super().pillow_name


_MEDIA_TYPES = {
    VariantFormat.AVIF: "image/avif",
    VariantFormat.WEBP: "image/webp",
    VariantFormat.JPEG: "image/jpeg",
}


@cache
def served_formats() -> tuple[VariantFormat, ...]:
    """The variant formats this installation can encode: AVIF only where Pillow was built with it."""
    formats = [VariantFormat.WEBP, VariantFormat.JPEG]
    if features.check("avif"):
        formats.insert(0, VariantFormat.AVIF)
    return tuple(formats)


def variant_format(extension: str) -> VariantFormat | None:
    """The format a URL's extension names, when this installation serves it."""
    try:
        chosen = VariantFormat(extension)
    except ValueError:
        return None
    return chosen if chosen in served_formats() else None


def variant_widths(image_width: int) -> tuple[int, ...]:
    """The widths an image is served at, smallest first: each of WIDTHS, never wider than the image."""
    return tuple(sorted({min(width, image_width) for width in WIDTHS}))


def snap_width(requested: int, image_width: int) -> int:
    """The variant width nearest to ``requested`` (on a tie, the larger: the sharper picture)."""
    return nearest(variant_widths(image_width), requested)


def nearest(widths: tuple[int, ...], requested: int) -> int:
    return min(widths, key=lambda width: (abs(width - requested), -width))


@dataclass(frozen=True, slots=True)
class WidthBand:
    """Images wider than the band below and at most ``up_to`` pixels wide (None: wider than every
    width of WIDTHS) have the variants ``fixed``, and one of their own width when ``up_to`` is set.
    SQL that builds URLs (accord.fastpath.sql_json) works band by band, as a CASE on the width."""

    up_to: int | None
    fixed: tuple[int, ...]

    def widths(self, image_width: int) -> tuple[int, ...]:
        return self.fixed if self.up_to is None else (*self.fixed, image_width)


WIDTH_BANDS: tuple[WidthBand, ...] = (
    *(WidthBand(width, WIDTHS[:index]) for index, width in enumerate(WIDTHS)),
    WidthBand(None, WIDTHS),
)


def media_url(
    base: str, content_hash: str, image_width: int, width: int | None = None, fmt: VariantFormat | None = None
) -> str:
    """The URL of a variant: ``width`` snapped to the image's variants (default: the largest); without
    ``fmt``, the URL that negotiates the format from Accept. ``base`` is the public URL, or "" for a
    path."""
    chosen = snap_width(max(WIDTHS) if width is None else width, image_width)
    suffix = "" if fmt is None else f".{fmt.value}"
    return f"{base}/media/{content_hash}/{chosen}{suffix}"


def srcset(base: str, content_hash: str, image_width: int, fmt: VariantFormat | None = None) -> str:
    """An HTML ``srcset``: every variant of the image with its width descriptor, smallest first."""
    return ", ".join(
        f"{media_url(base, content_hash, image_width, width, fmt)} {width}w"
        for width in variant_widths(image_width)
    )

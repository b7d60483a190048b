"""Turning an upload into a stored original, and an original into variants (Pillow).

``process_image`` checks and decodes an upload and returns the original accord keeps: upright by its
EXIF orientation, in sRGB, with every piece of metadata gone (EXIF and its GPS position, XMP, IPTC,
comments, text chunks, colour profiles), plus its placeholder and dominant colour. ``render_variant``
makes one variant of a stored original. Both are CPU work: the ``*_async`` forms run them in a small
thread pool of their own, off the event loop, at most ``MEDIA_THREADS`` at a time per process (which
also bounds the memory decoding takes).

Every check happens before the step it protects: the size before anything is read, the real format
(from the bytes, never the name) before a decoder is chosen, the pixel count from the header before
any pixel is decoded. Only the four accepted formats' Pillow plugins ever see an upload.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from PIL import ExifTags, Image, JpegImagePlugin

from accord.media import errors
from accord.media.formats import OriginalFormat, UploadFormat, VariantFormat
from accord.media.placeholder import blurhash_of, dominant_color, flattened, sample
from accord.media.sniff import sniff, webp_canvas, webp_is_lossless
from accord.settings import Settings

try:
    from PIL import ImageCms

    SRGB: Any = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
except ImportError:  # Pillow built without LittleCMS: profiles are dropped without conversion
    ImageCms = None  # type: ignore[assignment]
    SRGB = None

# accord checks the pixel count itself, against its own setting, before anything is decoded (and, for
# WebP, before Pillow opens the file: its plugin allocates the canvas on open). Pillow's own check
# would warn or refuse at its own default instead, whatever the setting says.
Image.MAX_IMAGE_PIXELS = None

DEFAULT_MAX_UPLOAD_BYTES = 15 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000
MEDIA_THREADS = 2

# Encoder settings of the variants. Changing one changes the bytes behind existing URLs: bump
# VARIANT_RECIPE too (it is part of every ETag and of the disk cache's file names).
VARIANT_RECIPE = 1
JPEG_QUALITY = 82
WEBP_QUALITY = 80
AVIF_QUALITY = 60
ORIGINAL_QUALITY = 95  # a JPEG original without quantisation tables to reuse, and lossy WebP originals

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIGINAL_OF_UPLOAD = {
    UploadFormat.JPEG: OriginalFormat.JPEG,
    UploadFormat.PNG: OriginalFormat.PNG,
    UploadFormat.GIF: OriginalFormat.PNG,
    UploadFormat.WEBP: OriginalFormat.WEBP,
}
# Keys Pillow puts in ``info`` that carry metadata: a stored original has none of them.
_METADATA_KEYS = ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "Raw profile type exif")


@dataclass(frozen=True, slots=True)
class MediaLimits:
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaLimits:
        """From ``accord.settings.Settings`` (ACCORD_MEDIA_MAX_UPLOAD_BYTES, ACCORD_MEDIA_MAX_PIXELS)."""
        return cls(max_upload_bytes=settings.media_max_upload_bytes, max_pixels=settings.media_max_pixels)


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """An upload made ready to store: the original's bytes and what is known about them."""

    data: bytes
    content_hash: str
    format: OriginalFormat
    width: int
    height: int
    placeholder: str  # BlurHash
    dominant_color: str  # #rrggbb

    @property
    def byte_size(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class OriginalInfo:
    format: OriginalFormat
    width: int
    height: int


def content_hash_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_upload_size(size: int, limits: MediaLimits) -> None:
    """Refuse an upload by its size alone (call it before reading a file or a request body whole)."""
    if size == 0:
        raise errors.empty()
    if size > limits.max_upload_bytes:
        raise errors.too_large(size, limits.max_upload_bytes)


def process_image(data: bytes, limits: MediaLimits) -> ProcessedImage:
    """Check an upload and make the original accord stores; ImageRefused says why it cannot."""
    check_upload_size(len(data), limits)
    with _decoded(data, limits.max_pixels) as (image, kind):
        upright = _upright(image)
        pixels = _normalized(_to_srgb(upright, image.info.get("icc_profile")))
        original, original_format = _encode_original(pixels, image, kind, data)
        small = sample(pixels)
        width, height = pixels.size
    return ProcessedImage(
        data=original,
        content_hash=content_hash_of(original),
        format=original_format,
        width=width,
        height=height,
        placeholder=blurhash_of(small),
        dominant_color=dominant_color(small),
    )


def inspect_original(data: bytes, max_pixels: int) -> OriginalInfo:
    """Check that ``data`` is a stored original as accord makes them (an import brings the bytes, not
    an upload): a JPEG, PNG or WebP that decodes whole, within the pixel limit, with no metadata."""
    if not data:
        raise errors.empty()
    with _decoded(data, max_pixels) as (image, kind):
        if kind is UploadFormat.GIF:
            raise errors.ImageRefused(
                errors.Refusal.UNSUPPORTED_FORMAT, "a GIF file; stored originals are JPEG, PNG or WebP"
            )
        present = [key for key in _METADATA_KEYS if image.info.get(key)]
        if present or getattr(image, "text", None) or len(image.getexif()):
            raise errors.ImageRefused(
                errors.Refusal.DAMAGED, "the image carries metadata; a stored original has none"
            )
        return OriginalInfo(_ORIGINAL_OF_UPLOAD[kind], *image.size)


def render_variant(original: bytes, width: int, fmt: VariantFormat) -> bytes:
    """One variant of a stored original: ``width`` pixels wide (at most the original's width), the
    height in proportion, encoded as ``fmt`` with no metadata."""
    with Image.open(io.BytesIO(original), formats=[f.pillow_name for f in OriginalFormat]) as image:
        full_width, full_height = image.size
        if not 1 <= width <= full_width:
            raise ValueError(f"width {width} is not between 1 and the original's {full_width}")
        size = (width, max(1, round(full_height * width / full_width)))
        if image.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale when that is still at least the target: far less work.
            image.draft(image.mode, size)
        image.load()
        frame = (
            image if image.size == size else image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        )
        return _encode_variant(frame, fmt)


# -- off the event loop ------------------------------------------------------------------------------

_EXECUTOR = ThreadPoolExecutor(max_workers=MEDIA_THREADS, thread_name_prefix="accord-media")
_T = TypeVar("_T")


async def in_media_thread(function: Callable[..., _T], *args: Any) -> _T:
    """Run CPU work of this module on its thread pool (Pillow releases the GIL while it works)."""
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, partial(function, *args))


async def process_image_async(data: bytes, limits: MediaLimits) -> ProcessedImage:
    return await in_media_thread(process_image, data, limits)


async def render_variant_async(original: bytes, width: int, fmt: VariantFormat) -> bytes:
    return await in_media_thread(render_variant, original, width, fmt)


# -- steps --------------------------------------------------------------------------------------------


@contextmanager
def _decoded(data: bytes, max_pixels: int) -> Iterator[tuple[Image.Image, UploadFormat]]:
    """The first frame of an accepted image, decoded, after every check that can run before."""
    kind = sniff(data)
    if kind is None:
        raise errors.not_an_image()
    if kind == "SVG":
        raise errors.svg()
    if not isinstance(kind, UploadFormat):
        raise errors.unsupported(kind)
    if kind is UploadFormat.WEBP:
        canvas = webp_canvas(data)
        if canvas is None:
            raise errors.damaged("no WebP image header")
        _check_pixels(*canvas, max_pixels)
    try:
        image = Image.open(io.BytesIO(data), formats=[kind.pillow_name])
    except Exception as exc:  # a decoder fed hostile bytes can raise almost anything: all of it is "damaged"
        raise errors.damaged(_short(exc)) from None
    with image:
        _check_pixels(*image.size, max_pixels)
        try:
            image.load()  # the first frame only: animations keep their first picture
        except Exception as exc:
            raise errors.damaged(_short(exc)) from None
        yield image, kind


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width < 1 or height < 1:
        raise errors.damaged(f"{width} x {height} pixels")
    if width * height > max_pixels:
        raise errors.too_many_pixels(width, height, max_pixels)


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:160] + "..."


def _upright(image: Image.Image) -> Image.Image:
    """Turned as its EXIF Orientation says (an unreadable EXIF block counts as no orientation)."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # malformed EXIF: nothing to turn by, and it is dropped anyway
        orientation = 1
    method = _TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    return image if method is None else image.transpose(method)


def _to_srgb(image: Image.Image, icc: object) -> Image.Image:
    """Pixels converted from an embedded colour profile to sRGB, so that dropping the profile (it is
    metadata too) does not change the colours. A profile LittleCMS cannot read is simply dropped."""
    if ImageCms is None or not isinstance(icc, bytes) or not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return image
        converted = ImageCms.profileToProfile(
            image, profile, SRGB, outputMode="RGBA" if image.mode == "RGBA" else "RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return image if converted is None else converted


def _normalized(image: Image.Image) -> Image.Image:
    """L, RGB or RGBA (RGBA only when some pixel is not opaque)."""
    mode = image.mode
    if mode in ("L", "RGB"):
        if "transparency" not in image.info:
            return image
        image = image.convert("RGBA")
    elif mode == "1":
        return image.convert("L")
    elif mode.startswith("I") or mode == "F":  # 16-bit and float greys: scale to 8 bits
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif mode in ("LA", "La", "PA", "RGBa") or (mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    elif mode != "RGBA":
        return image.convert("RGB")
    alpha = image.getchannel("A").getextrema()
    return image.convert("RGB") if alpha == (255, 255) else image


def _bare(image: Image.Image) -> Image.Image:
    """The image, stripped of what Pillow's encoders would otherwise copy from ``info`` into the file
    (comments, colour profiles). Every image passed here is accord's own copy or decoded file."""
    image.info = {}
    return image


def _encode_original(
    pixels: Image.Image, source: Image.Image, kind: UploadFormat, data: bytes
) -> tuple[bytes, OriginalFormat]:
    original_format = _ORIGINAL_OF_UPLOAD[kind]
    bare = _bare(pixels)
    out = io.BytesIO()
    if original_format is OriginalFormat.JPEG:
        bare.save(out, "JPEG", **_jpeg_original_options(source))
    elif original_format is OriginalFormat.PNG:
        bare.save(out, "PNG", compress_level=6)
    elif webp_is_lossless(data):
        bare.save(out, "WEBP", lossless=True, quality=80, method=4)
    else:
        bare.save(out, "WEBP", quality=ORIGINAL_QUALITY, method=4)
    return out.getvalue(), original_format


def _jpeg_original_options(source: Image.Image) -> dict[str, Any]:
    """Re-encode with the upload's own quantisation tables and chroma subsampling, so the original
    loses as little as a JPEG re-encode can (no EXIF, no profile, no comment written)."""
    tables = getattr(source, "quantization", None)
    if isinstance(source, JpegImagePlugin.JpegImageFile) and tables and 1 <= len(tables) <= 4:
        options: dict[str, Any] = {"qtables": [list(table) for table in tables.values()]}
        sampling = JpegImagePlugin.get_sampling(source)
        if sampling in (0, 1, 2):
            options["subsampling"] = sampling
        return options
    return {"quality": ORIGINAL_QUALITY}


def _encode_variant(frame: Image.Image, fmt: VariantFormat) -> bytes:
    out = io.BytesIO()
    if fmt is VariantFormat.JPEG:
        picture = flattened(frame) if frame.mode not in ("L", "RGB") else frame
        _bare(picture).save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    elif fmt is VariantFormat.WEBP:
        picture = frame if frame.mode in ("RGB", "RGBA") else frame.convert("RGB")
        _bare(picture).save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        picture = frame if frame.mode in ("RGB", "RGBA") else frame.convert("RGB")
        _bare(picture).save(out, "AVIF", quality=AVIF_QUALITY)
    return out.getvalue()

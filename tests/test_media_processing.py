"""Image processing on real files the tests make with Pillow: what is accepted and how it comes out,
what is refused and why (accord.media.processing)."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable

import blurhash  # type: ignore[import-untyped]
import pytest
from PIL import Image, ImageFile

from accord.core.errors import BadInput
from accord.media import (
    ImageRefused,
    MediaLimits,
    OriginalFormat,
    Refusal,
    VariantFormat,
    check_upload_size,
    describe_image,
    media_url,
    process_image,
    process_image_async,
    render_variant,
    render_variant_async,
    served_formats,
    snap_width,
    srcset,
    variant_widths,
)
from accord.media.processing import content_hash_of, inspect_original
from accord.web.media import negotiate_format
from tests.harness import images
from tests.harness.images import BLUE, RED

LIMITS = MediaLimits()
METADATA = ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment")
# Bytes that would mean metadata survived: EXIF (JPEG, WebP, PNG), GPS, the camera, comments, text.
LEAKS = (b"Exif\x00\x00", b"EXIF", b"GPS", b"TestCam", b"secret comment", b"eXIf", b"tEXt", b"iCCP")
ORIGINAL_OF = {"jpeg": OriginalFormat.JPEG, "webp": OriginalFormat.WEBP}


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_metadata(data: bytes) -> None:
    image = opened(data)
    assert len(image.getexif()) == 0
    assert not [key for key in METADATA if key in image.info], image.info
    assert not getattr(image, "text", None)
    for marker in (
        b"Exif\x00\x00",
        b"EXIF",
        b"GPS",
        b"TestCam",
        b"secret comment",
        b"eXIf",
        b"tEXt",
        b"iCCP",
    ):
        assert marker not in data, marker


def near(pixel: object, color: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], color, strict=True))


def assert_upright_mark(data: bytes) -> None:
    """Red in the top-left corner, blue in the bottom-right: the picture is the right way up."""
    image = opened(data).convert("RGB")
    width, height = image.size
    assert near(image.getpixel((width // 10, height // 10)), RED), image.getpixel((width // 10, height // 10))
    assert near(image.getpixel((width - 1 - width // 10, height - 1 - height // 10)), BLUE)
    assert near(image.getpixel((width // 10, height - 1 - height // 10)), BLUE)


# -- accepted ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), list(images.accepted_files().items()))
def test_each_accepted_format_is_processed(name: str, data: bytes) -> None:
    processed = process_image(data, LIMITS)
    source = opened(data)
    assert (processed.width, processed.height) == source.size
    expected = {"jpeg": OriginalFormat.JPEG, "webp": OriginalFormat.WEBP}.get(
        name.split("-")[0], OriginalFormat.PNG
    )
    assert processed.format is expected
    assert opened(processed.data).format == expected.pillow_name
    assert processed.content_hash == content_hash_of(processed.data)
    assert processed.byte_size == len(processed.data)
    assert_no_metadata(processed.data)
    # A placeholder any BlurHash decoder reads, and a colour.
    assert blurhash.components(processed.placeholder) in ((4, 3), (3, 4))
    assert len(blurhash.decode(processed.placeholder, 8, 8)) == 8
    assert processed.dominant_color.startswith("#") and len(processed.dominant_color) == 7
    # The stored original is what an import would accept.
    info = inspect_original(processed.data, LIMITS.max_pixels)
    assert (info.format, info.width, info.height) == (processed.format, processed.width, processed.height)
    for fmt in served_formats():
        for width in variant_widths(processed.width):
            variant = render_variant(processed.data, width, fmt)
            picture = opened(variant)
            assert picture.format == fmt.pillow_name
            assert picture.width == width
            assert abs(picture.height - processed.height * width / processed.width) <= 1
            assert_no_metadata(variant)


def test_the_marked_files_keep_their_picture() -> None:
    for name in ("jpeg", "png", "png-alpha", "webp", "webp-lossless-alpha", "gif-animated"):
        processed = process_image(images.accepted_files()[name], LIMITS)
        assert_upright_mark(processed.data)
        assert processed.dominant_color != "#ffffff"


def test_transparency_is_kept_where_the_format_has_it_and_flattened_on_white_in_jpeg() -> None:
    picture = images.marked((300, 200), "RGBA")
    picture.paste((0, 0, 0, 0), (150, 0, 300, 200))  # the right half transparent
    processed = process_image(images.encode(picture, "PNG"), LIMITS)
    assert opened(processed.data).mode == "RGBA"
    inside = (250, 100)
    webp = opened(render_variant(processed.data, processed.width, VariantFormat.WEBP))
    assert webp.mode == "RGBA"
    pixel = webp.getpixel(inside)
    assert isinstance(pixel, tuple) and pixel[3] == 0
    jpeg = opened(render_variant(processed.data, processed.width, VariantFormat.JPEG)).convert("RGB")
    assert near(jpeg.getpixel(inside), (255, 255, 255))
    # Fully opaque RGBA is stored as RGB.
    opaque = process_image(images.encode(images.marked((60, 40), "RGBA"), "PNG"), LIMITS)
    assert opened(opaque.data).mode == "RGB"


def test_a_rotated_jpeg_with_gps_comes_out_upright_and_without_exif() -> None:
    data = images.rotated_jpeg_with_gps((900, 600))
    source = opened(data)
    assert source.size == (600, 900)  # stored sideways
    assert source.getexif()[0x0112] == 6
    assert b"GPS" in data or source.getexif().get_ifd(0x8825)
    processed = process_image(data, LIMITS)
    assert (processed.width, processed.height) == (900, 600)
    assert_no_metadata(processed.data)
    assert_upright_mark(processed.data)
    for fmt in served_formats():
        for width in variant_widths(processed.width):
            variant = render_variant(processed.data, width, fmt)
            assert opened(variant).size == (width, round(600 * width / 900))
            assert_no_metadata(variant)
            assert_upright_mark(variant)


def test_every_orientation_is_turned_upright() -> None:
    upright = images.marked((90, 60))
    # How each EXIF orientation stores an upright picture (its inverse is what accord applies).
    stored = {
        1: upright,
        2: upright.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        3: upright.transpose(Image.Transpose.ROTATE_180),
        4: upright.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        5: upright.transpose(Image.Transpose.TRANSPOSE),
        6: upright.transpose(Image.Transpose.ROTATE_90),
        7: upright.transpose(Image.Transpose.TRANSVERSE),
        8: upright.transpose(Image.Transpose.ROTATE_270),
    }
    for orientation, pixels in stored.items():
        data = images.encode(pixels, "PNG", exif=images.gps_exif(orientation))
        processed = process_image(data, LIMITS)
        assert (processed.width, processed.height) == (90, 60), orientation
        assert_upright_mark(processed.data)
        assert_no_metadata(processed.data)


def test_png_text_chunks_and_exif_are_dropped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret comment")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPS</x:xmpmeta>")
    data = images.encode(images.marked((64, 64)), "PNG", pnginfo=info, exif=images.gps_exif())
    assert b"secret comment" in data and b"eXIf" in data
    assert_no_metadata(process_image(data, LIMITS).data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_colours_are_converted_to_srgb_before_the_profile_is_dropped(fmt: str) -> None:
    profile = images.swapped_primaries_profile()
    tagged = images.encode(images.marked((64, 64)), fmt, icc_profile=profile)
    assert opened(tagged).info.get("icc_profile") == profile
    processed = process_image(tagged, LIMITS)
    stored = opened(processed.data)
    assert "icc_profile" not in stored.info
    # Red in a profile with red and blue exchanged is blue in sRGB, and the other way round.
    assert near(stored.convert("RGB").getpixel((5, 5)), RED[::-1])
    assert near(stored.convert("RGB").getpixel((60, 60)), BLUE[::-1])


def test_the_same_picture_gives_the_same_original() -> None:
    data = images.accepted_files()["png"]
    assert process_image(data, LIMITS).content_hash == process_image(data, LIMITS).content_hash


async def test_the_async_forms_run_off_the_event_loop() -> None:
    import threading

    data = images.accepted_files()["jpeg"]
    seen: list[str] = []
    original = Image.Image.save

    def spy(self: Image.Image, *args: object, **kwargs: object) -> None:
        seen.append(threading.current_thread().name)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    Image.Image.save = spy  # type: ignore[method-assign]
    try:
        processed = await process_image_async(data, LIMITS)
        variant = await render_variant_async(processed.data, 320, VariantFormat.WEBP)
    finally:
        Image.Image.save = original  # type: ignore[method-assign]
    assert opened(variant).width == 320
    assert seen and all(name.startswith("accord-media") for name in seen), seen


# -- refused ----------------------------------------------------------------------------------------

REFUSED: dict[str, tuple[Callable[[], bytes], Refusal, str]] = {
    "decompression bomb (PNG)": (images.png_bomb, Refusal.TOO_MANY_PIXELS, "20,000 x 20,000 pixels"),
    "decompression bomb (WebP canvas)": (images.webp_bomb, Refusal.TOO_MANY_PIXELS, "16,384 x 16,384"),
    "truncated JPEG": (
        lambda: images.truncated(images.accepted_files()["jpeg"]),
        Refusal.DAMAGED,
        "truncated or damaged",
    ),
    "truncated PNG": (
        lambda: images.truncated(images.encode(images.marked((300, 300)), "PNG")),
        Refusal.DAMAGED,
        "truncated or damaged",
    ),
    "text file renamed .jpg": (images.text_file, Refusal.NOT_AN_IMAGE, "not an image accord can read"),
    "SVG": (images.svg, Refusal.SVG, "SVG images are refused because they can carry scripts"),
    "SVG with a BOM and a doctype": (
        lambda: b"\xef\xbb\xbf  <!DOCTYPE svg>\n<svg onload='alert(1)'/>",
        Refusal.SVG,
        "can carry scripts",
    ),
    "TIFF": (
        lambda: images.encode(images.marked((20, 20)), "TIFF"),
        Refusal.UNSUPPORTED_FORMAT,
        "a TIFF file",
    ),
    "BMP": (lambda: images.encode(images.marked((20, 20)), "BMP"), Refusal.UNSUPPORTED_FORMAT, "a BMP file"),
    "empty file": (lambda: b"", Refusal.EMPTY, "the file is empty"),
    "JPEG signature and nothing else": (
        lambda: b"\xff\xd8\xff\xe0" + b"\x00" * 40,
        Refusal.DAMAGED,
        "damaged",
    ),
    "WebP header without an image": (lambda: b"RIFF\x10\x00\x00\x00WEBPJUNK", Refusal.DAMAGED, "damaged"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_bad_files_are_refused_with_the_reason(name: str) -> None:
    make, reason, words = REFUSED[name]
    with pytest.raises(ImageRefused) as refused:
        process_image(make(), LIMITS)
    assert refused.value.reason is reason
    assert words in str(refused.value)
    assert isinstance(refused.value, BadInput) and refused.value.code == "BAD_USER_INPUT"
    assert refused.value.field == "file"
    assert str(refused.value).startswith("file: ")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    limits = MediaLimits(max_upload_bytes=4096)
    data = images.encode(images.marked((800, 800)), "PNG", compress_level=0)
    assert len(data) > 4096
    with pytest.raises(ImageRefused) as refused:
        process_image(data, limits)
    assert refused.value.reason is Refusal.TOO_LARGE
    assert "over the upload limit of 4,096 bytes" in str(refused.value)
    with pytest.raises(ImageRefused):
        check_upload_size(4097, limits)
    check_upload_size(4096, limits)


def test_the_pixel_limit_is_a_setting() -> None:
    data = images.encode(images.marked((100, 100)), "PNG")
    process_image(data, MediaLimits(max_pixels=10_000))
    with pytest.raises(ImageRefused) as refused:
        process_image(data, MediaLimits(max_pixels=9_999))
    assert refused.value.reason is Refusal.TOO_MANY_PIXELS


def test_an_original_with_metadata_is_not_accepted_as_a_stored_original() -> None:
    with pytest.raises(ImageRefused, match="metadata"):
        inspect_original(images.rotated_jpeg_with_gps(), LIMITS.max_pixels)
    with pytest.raises(ImageRefused, match="GIF"):
        inspect_original(images.animated_gif(), LIMITS.max_pixels)


# -- descriptions, widths, formats, URLs -------------------------------------------------------------


def test_alt_text_and_credit_are_checked() -> None:
    description = describe_image({"en": "A customs officer's cap", "zh_tw": "海關帽"}, "Customs Museum")
    assert description.alt.zh_tw == "海關帽" and description.credit == "Customs Museum"
    assert describe_image({"en": "x"}, "").credit is None
    for alt, credit, field in (
        ({"en": "  "}, None, "alt.en"),
        ({"en": "two\nlines"}, None, "alt.en"),
        ({"en": "ok", "zh_tw": "bell\x07"}, None, "alt.zhTw"),
        ({"en": "x" * 1001}, None, "alt.en"),
        ({"en": "ok"}, "c" * 301, "credit"),
        ({"en": "ok", "fr": "non"}, None, "alt.fr"),
        ({}, None, "alt.en"),
    ):
        with pytest.raises(BadInput) as bad:
            describe_image(alt, credit)
        assert bad.value.field == field, (alt, credit, str(bad.value))
        assert str(bad.value).startswith(f"{field}: ")


def test_widths_snap_to_the_nearest_variant_and_never_upscale() -> None:
    assert variant_widths(6000) == (320, 640, 1280, 2048)
    assert variant_widths(800) == (320, 640, 800)
    assert variant_widths(100) == (100,)
    assert snap_width(1, 6000) == 320
    assert snap_width(700, 6000) == 640
    assert snap_width(960, 6000) == 1280  # a tie goes to the sharper picture
    assert snap_width(99999, 6000) == 2048
    assert snap_width(2048, 800) == 800
    assert snap_width(100, 100) == 100


def test_accept_negotiation() -> None:
    avif = VariantFormat.AVIF in served_formats()
    chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
    assert negotiate_format(chrome) is (VariantFormat.AVIF if avif else VariantFormat.WEBP)
    assert negotiate_format("image/webp,*/*") is VariantFormat.WEBP
    assert negotiate_format("image/avif;q=0,image/webp") is VariantFormat.WEBP
    assert negotiate_format("image/avif;q=0.5,image/webp;q=0.9") is VariantFormat.WEBP
    assert negotiate_format("*/*") is VariantFormat.JPEG
    assert negotiate_format("image/*") is VariantFormat.JPEG
    assert negotiate_format(None) is VariantFormat.JPEG
    assert negotiate_format("image/webp;q=abc") is VariantFormat.JPEG
    assert negotiate_format("," * 10_000) is VariantFormat.JPEG


def test_urls_and_srcset() -> None:
    digest = "ab" * 32
    assert media_url("https://x.test", digest, 6000) == f"https://x.test/media/{digest}/2048"
    assert media_url("", digest, 6000, 700, VariantFormat.WEBP) == f"/media/{digest}/640.webp"
    assert srcset("", digest, 800, VariantFormat.JPEG) == (
        f"/media/{digest}/320.jpg 320w, /media/{digest}/640.jpg 640w, /media/{digest}/800.jpg 800w"
    )


# -- the pixel limit comes before any decoding --------------------------------------------------------


def _claims(data: bytes, marker: bytes, offset: int, size: bytes) -> bytes:
    """``data`` with ``size`` written ``offset`` bytes after the first ``marker``."""
    at = data.index(marker) + offset
    return data[:at] + size + data[at + len(size) :]


def _header_only_bombs() -> dict[str, bytes]:
    """Files whose header claims 60,000 x 60,000 pixels (3.6 billion) followed by garbage: small, and
    only harmful to a decoder that runs before the size is looked at."""
    big = (60_000).to_bytes(2, "big")
    jpeg = images.encode(images.marked((16, 16)), "JPEG")
    # SOF0: marker, length (2), precision (1), then height and width (2 each).
    jpeg = _claims(jpeg, b"\xff\xc0", 5, big + big)
    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + images.png_chunk(b"IHDR", header) + images.png_chunk(b"IDAT", b"\x00" * 64)
    gif = images.encode(images.marked((16, 16)), "GIF")
    little = (60_000).to_bytes(2, "little")
    gif = gif[:6] + little + little + gif[10:]  # the logical screen
    gif = _claims(gif, b",", 5, little + little)  # the image descriptor
    return {"jpeg": jpeg, "png": png, "gif": gif}


@pytest.mark.parametrize("name", ["jpeg", "png", "gif"])
def test_the_pixel_limit_is_checked_before_any_pixel_is_decoded(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No decoder runs on a file over the pixel limit: ``ImageFile.load``, where Pillow decodes, is
    never called (decoding 3.6 billion pixels would take gigabytes and minutes)."""
    decoded: list[str] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> object:
        decoded.append(str(self.format))
        if self.size[0] * self.size[1] > LIMITS.max_pixels:
            raise RuntimeError("decoding a file over the pixel limit")  # and spare the machine
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    data = _header_only_bombs()[name]
    with pytest.raises(ImageRefused) as refused:
        process_image(data, LIMITS)
    assert refused.value.reason is Refusal.TOO_MANY_PIXELS, refused.value
    assert "60,000 x 60,000 pixels" in str(refused.value)
    assert decoded == []
    # The spy sees decoding where there is some: a file within the limit is loaded.
    process_image(images.encode(images.marked((16, 16)), name.upper()), LIMITS)
    assert decoded


def test_the_limits_default_to_the_documented_values_and_follow_the_settings() -> None:
    from accord.settings import Settings

    assert MediaLimits.from_settings(Settings()) == MediaLimits(15 * 1024 * 1024, 50_000_000)
    assert MediaLimits.from_settings(
        Settings(media_max_upload_bytes=2048, media_max_pixels=100)
    ) == MediaLimits(2048, 100)


def _distance(hex_colour: str, rgb: tuple[int, int, int]) -> int:
    found = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return max(abs(a - b) for a, b in zip(found, rgb, strict=True))


def test_the_dominant_colour_and_the_placeholder_show_the_picture() -> None:
    """Three quarters blue, a red quarter: the dominant colour is the blue; the placeholder, decoded,
    is red where the red is and blue elsewhere. Transparent parts count as the white a page shows."""
    picture = Image.new("RGB", (400, 200), BLUE)
    picture.paste(RED, (0, 0, 100, 200))
    processed = process_image(images.encode(picture, "PNG"), LIMITS)
    assert _distance(processed.dominant_color, BLUE) <= 8, processed.dominant_color
    decoded = blurhash.decode(processed.placeholder, 8, 4)  # rows of [r, g, b]
    left, right = decoded[2][0], decoded[2][7]
    assert left[0] > left[2] and right[2] > right[0], (left, right)

    clear = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    clear.paste((*RED, 255), (0, 0, 60, 60))
    see_through = process_image(images.encode(clear, "PNG"), LIMITS)
    assert see_through.dominant_color == "#ffffff"

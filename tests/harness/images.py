"""Image files the tests (and the media benchmark) make themselves with Pillow, good and hostile."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, ImageDraw

RED = (220, 20, 30)
BLUE = (20, 60, 200)


def marked(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Blue, with a red block in the top-left corner: which way is up can be read from the pixels."""
    width, height = size
    image = Image.new("RGB", size, BLUE)
    ImageDraw.Draw(image).rectangle((0, 0, width // 3, height // 3), fill=RED)
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def gps_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with an orientation, a camera, and a GPS position (a privacy leak if it were kept)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (25.0, 2.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 33.0, 50.0)
    return exif


def rotated_jpeg_with_gps(upright_size: tuple[int, int] = (900, 600)) -> bytes:
    """A JPEG whose pixels are stored turned a quarter to the left, with Orientation 6 (turn right
    to show) and GPS tags: shown properly, it is ``marked(upright_size)``."""
    stored = marked(upright_size).transpose(Image.Transpose.ROTATE_90)
    return encode(stored, "JPEG", quality=92, exif=gps_exif(orientation=6), comment=b"secret comment")


def animated_gif(size: tuple[int, int] = (120, 80)) -> bytes:
    first = marked(size).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    second = Image.new("RGB", size, (0, 200, 0)).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def accepted_files() -> dict[str, bytes]:
    """One file of every accepted kind, each in a mode that takes its own path through processing."""
    alpha = marked((300, 200), "RGBA")
    alpha.putpixel((299, 199), (0, 0, 0, 0))
    palette = marked((200, 100)).convert("P")
    grey16 = Image.new("I;16", (64, 48), 40_000)
    return {
        "jpeg": encode(marked((800, 500)), "JPEG", quality=90),
        "jpeg-grey": encode(marked((400, 300), "L"), "JPEG", quality=90),
        "png": encode(marked((640, 480)), "PNG"),
        "png-alpha": encode(alpha, "PNG"),
        "png-palette-transparent": encode(palette, "PNG", transparency=0),
        "png-16-bit-grey": encode(grey16, "PNG"),
        "webp": encode(marked((500, 400)), "WEBP", quality=80),
        "webp-lossless-alpha": encode(alpha, "WEBP", lossless=True),
        "gif-animated": animated_gif(),
    }


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A complete, valid PNG of a few tens of kilobytes that decodes to ``width * height`` pixels
    (1-bit grey, all black: each row is a filter byte and zeros, which compress to almost nothing).
    Decoded, the default is 400 million pixels: 400 MB in Pillow's memory."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    step = max(1, 4_000_000 // len(row))
    chunks = [compressor.compress(row * min(step, height - done)) for done in range(0, height, step)]
    chunks.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", b"".join(chunks))
        + png_chunk(b"IEND", b"")
    )


def webp_bomb() -> bytes:
    """A WebP whose extended header claims a 16384 x 16384 canvas (Pillow's WebP plugin allocates the
    canvas when it opens a file), followed by a real 1 x 1 image."""
    tiny = encode(Image.new("RGB", (1, 1), RED), "WEBP", lossless=True)
    bitstream = tiny[12:]  # the VP8L chunk of the 1 x 1 image
    flags = 0
    vp8x = struct.pack("<B3x", flags) + (16383).to_bytes(3, "little") + (16383).to_bytes(3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x + bitstream
    return b"RIFF" + struct.pack("<I", len(body)) + body


def svg() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b'<script>alert("x")</script><rect width="100" height="100" fill="red"/></svg>\n'
    )


def text_file() -> bytes:
    return b"This is a plain text file that somebody renamed to photo.jpg.\n" * 20


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def large_jpeg(megapixels: int = 24, seed: int = 7) -> bytes:
    """A camera-sized JPEG (6000 x 4000 for 24) with some detail to encode, made quickly."""
    width = int((megapixels * 1_000_000 * 1.5) ** 0.5)
    height = megapixels * 1_000_000 // width
    noise = Image.effect_noise((width // 8, height // 8), 60).convert("RGB").resize((width, height))
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    picture = Image.blend(noise, gradient, 0.5)
    ImageDraw.Draw(picture).ellipse((width // 4, height // 4, width // 2, height // 2), fill=RED)
    return encode(picture, "JPEG", quality=90, exif=gps_exif(orientation=1))


def swapped_primaries_profile() -> bytes:
    """An RGB colour profile whose red and blue primaries are swapped (sRGB's, exchanged in the tag
    table, renamed so it is not taken for sRGB): converted to sRGB, red pixels come out blue."""
    from PIL import ImageCms

    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", profile[128:132])[0]
    entries = {}
    for index in range(count):
        signature, offset, size = struct.unpack(">4sII", profile[132 + 12 * index : 144 + 12 * index])
        entries[signature] = (index, offset, size)
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    struct.pack_into(">4sII", profile, 132 + 12 * red[0], b"rXYZ", blue[1], blue[2])
    struct.pack_into(">4sII", profile, 132 + 12 * blue[0], b"bXYZ", red[1], red[2])
    return bytes(profile).replace("sRGB".encode("utf-16-be"), "Swap".encode("utf-16-be"))

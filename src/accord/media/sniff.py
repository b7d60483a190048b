"""What a file really is, from its first bytes (never from its name), before any decoder sees it.

Only the four accepted formats ever reach Pillow, each through its own plugin alone; the others are
named so the refusal can say what was sent ("a TIFF file", "SVG ... can carry scripts"). WebP also
has its canvas size read here: Pillow's WebP plugin allocates the canvas when it opens the file,
so the pixel limit has to be checked before that.
"""

from __future__ import annotations

from accord.media.formats import UploadFormat

SNIFF_BYTES = 4096  # enough for every signature below, and for an SVG's root element after a prolog

_SIGNATURES: tuple[tuple[bytes, UploadFormat], ...] = (
    (b"\xff\xd8\xff", UploadFormat.JPEG),
    (b"\x89PNG\r\n\x1a\n", UploadFormat.PNG),
    (b"GIF87a", UploadFormat.GIF),
    (b"GIF89a", UploadFormat.GIF),
)
_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"%PDF-", "PDF"),
    (b"8BPS", "Photoshop"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"qoif", "QOI"),
)
_ISO_BRANDS = {
    b"avif": "AVIF",
    b"avis": "AVIF",
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
}


def sniff(data: bytes) -> UploadFormat | str | None:
    """The accepted format of ``data``; else the name of another image format ("SVG", "TIFF", ...);
    else None (not an image)."""
    head = data[:SNIFF_BYTES]
    for signature, accepted in _SIGNATURES:
        if head.startswith(signature):
            return accepted
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return UploadFormat.WEBP
    for signature, name in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[4:8] == b"ftyp":
        return _ISO_BRANDS.get(head[8:12], "ISO media")
    if _looks_like_svg(head):
        return "SVG"
    return None


def _looks_like_svg(head: bytes) -> bool:
    """Markup that names an <svg> element early on: BOMs, XML prologs, comments and doctypes allowed."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16
        text = text.replace(b"\x00", b"")
    return text.startswith(b"<") and b"<svg" in text


def webp_canvas(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a WebP's first chunk header; None when the header is not one of the three
    WebP bitstream layouts (lossy VP8, lossless VP8L, extended VP8X)."""
    if len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP's (first) image is VP8L, lossless: its stored original then stays lossless.

    Walks the RIFF chunks: the first bitstream chunk decides, looking inside the first animation
    frame when there is one. Each step moves forward by a chunk, so it is linear in the file."""
    position, end = 12, len(data)
    while position + 8 <= end:
        name = data[position : position + 4]
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        if name == b"VP8L":
            return True
        if name == b"VP8 ":
            return False
        if name == b"ANMF":
            position += 8 + 16  # into the frame: its 16-byte header, then its own chunks
            continue
        position += 8 + size + (size & 1)
    return False

"""What a page shows before the picture arrives: a BlurHash and the dominant colour.

Both are computed from a small copy of the upright image (transparent parts over white, as a page
would show them), so their cost does not grow with the upload.
"""

from __future__ import annotations

from typing import cast

import blurhash  # type: ignore[import-untyped]
from PIL import Image

SAMPLE_SIZE = 32  # the longer side of the copy the placeholder is computed from
LONG_SIDE_COMPONENTS, SHORT_SIDE_COMPONENTS = 4, 3
PALETTE_COLORS = 8


def flattened(image: Image.Image) -> Image.Image:
    """RGB, transparent parts composited over white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def sample(image: Image.Image) -> Image.Image:
    """A copy at most SAMPLE_SIZE pixels on its longer side, flattened to RGB."""
    width, height = image.size
    scale = min(1.0, SAMPLE_SIZE / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # BOX averages every source pixel into its sample pixel, in one pass over the image.
    return flattened(image.resize(size, Image.Resampling.BOX))


def blurhash_of(small: Image.Image) -> str:
    """The BlurHash of an RGB sample: 4 x 3 components, the 4 along the longer side."""
    width, height = small.size
    x, y = (
        (LONG_SIDE_COMPONENTS, SHORT_SIDE_COMPONENTS)
        if width >= height
        else (SHORT_SIDE_COMPONENTS, LONG_SIDE_COMPONENTS)
    )
    raw = small.tobytes()  # RGB, row after row
    rows = [
        [list(raw[3 * (row * width + column) : 3 * (row * width + column) + 3]) for column in range(width)]
        for row in range(height)
    ]
    return cast(str, blurhash.encode(rows, components_x=x, components_y=y))


def dominant_color(small: Image.Image) -> str:
    """The most common colour of an RGB sample after reducing it to a few colours, as #rrggbb."""
    reduced = small.quantize(colors=PALETTE_COLORS, method=Image.Quantize.MEDIANCUT)
    counts = reduced.getcolors() or [(1, 0)]
    _, index = max(counts, key=lambda item: (item[0], -cast(int, item[1])))
    palette = reduced.getpalette() or [0, 0, 0]
    red, green, blue = palette[3 * cast(int, index) : 3 * cast(int, index) + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"

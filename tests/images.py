"""Reading the PNGs the tests make, with Pillow (a dev dependency)."""

from __future__ import annotations

import io

from PIL import Image


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Width, height and RGB pixels, row by row (transparency composited over white)."""
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
        return rgb.width, rgb.height, list(rgb.get_flattened_data())


def count_colour(pixels: list[tuple[int, int, int]], colour: str) -> int:
    """How many pixels have exactly this colour (#rrggbb), as the inside of a filled shape."""
    rgb = tuple(bytes.fromhex(colour.lstrip("#")))
    return sum(1 for pixel in pixels if pixel == rgb)

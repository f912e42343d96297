"""Text widths in the picture's font (DejaVu Sans metrics), and wrapping names to a width:
the layout sizes every label box from them, so the picture never depends on a font lookup."""

from __future__ import annotations

import unicodedata

# --- text metrics -------------------------------------------------------------------------

# Advance widths of DejaVu Sans (Book and Bold, 2048 units per em) for U+0020..U+007E, read
# from the fonts of Debian's fonts-dejavu-core 2.37. Shaping applies kerning, which only
# narrows a line, so sums of advances never underestimate the rendered width. A table rather
# than the font file (Pillow or fontTools could read it): the layout, hence the SVG and HTML
# bytes, must not depend on which fonts a machine has; tests/test_render.py checks the table
# against the installed font with Pillow.
_UNITS_PER_EM = 2048
ASCENT = 1901 / 2048
_REGULAR = (
    651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690,
    1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716,
    1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767,
    1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690,
    799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186,
    569, 1995, 1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075,
    1303, 690, 1303, 1716,
)  # fmt: skip
_BOLD = (
    713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748,
    1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819, 819, 1716, 1716, 1716,
    1188, 2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038,
    1714, 1741, 1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936, 748,
    936, 1716, 1024, 1024, 1382, 1466, 1214, 1466, 1389, 891, 1466, 1458, 702, 702, 1362,
    702, 2134, 1458, 1407, 1466, 1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192,
    1458, 748, 1458, 1716,
)  # fmt: skip
_PUNCTUATION = {  # regular, bold
    "\u2018": (651, 778), "\u2019": (651, 778), "\u201c": (1061, 1346), "\u201d": (1061, 1346),
    "\u2013": (1024, 1024), "\u2014": (2048, 2048), "\u2026": (2048, 2048),
    "\u00b7": (651, 778), "\u2022": (1208, 1309), "\u2192": (1716, 1716),
    "\u00ab": (1253, 1323), "\u00bb": (1253, 1323), "\u00a0": (651, 713),
}  # fmt: skip


def _advance(char: str, bold: bool) -> int:
    code = ord(char)
    if 32 <= code <= 126:
        return (_BOLD if bold else _REGULAR)[code - 32]
    if char in _PUNCTUATION:
        return _PUNCTUATION[char][1 if bold else 0]
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    base = unicodedata.normalize("NFD", char)[0]
    if base != char and 32 <= ord(base) <= 126:
        return (_BOLD if bold else _REGULAR)[ord(base) - 32]
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return _UNITS_PER_EM
    return 1425 if bold else 1303


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of one line of DejaVu Sans at `size` px (an upper bound: no kerning)."""
    return sum(_advance(c, bold) for c in text) * size / _UNITS_PER_EM


def _fit(text: str, width: float, size: float, bold: bool) -> str:
    """The longest prefix of `text` that fits with an ellipsis."""
    if text_width(text, size, bold) <= width:
        return text
    cut = text
    while cut and text_width(cut.rstrip() + "\u2026", size, bold) > width:
        cut = cut[:-1]
    return cut.rstrip(" ,;:-\u2013") + "\u2026"


def wrap(
    text: str, width: float, size: float, bold: bool = False, max_lines: int = 99
) -> list[str]:
    """Greedy word wrap by measured width; the last line ends with "…" when text is left."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while text_width(word, size, bold) > width:  # a word longer than a line: break it
            cut = len(word) - 1
            while cut > 1 and text_width(word[:cut] + "-", size, bold) > width:
                cut -= 1
            lines.append(word[:cut] + "-")
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        kept = lines[: max_lines - 1]
        kept.append(_fit(" ".join(lines[max_lines - 1 :]), width, size, bold))
        lines = kept
    return lines or [""]

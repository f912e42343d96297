"""The guard of the analysts' read-only Cypher endpoint: the first of two locks.

Analysts may send Cypher text; nothing else in crimegraph accepts it. Before it reaches the
database, this guard refuses anything that is not a single read query: write and schema
clauses, administration, file access, every procedure and function not on a short list,
unbounded or long path searches, and names of the records that hold secrets. The second
lock is the database's own: the text then runs in a read transaction as the read-only user
(ArcadeDB) or in READ access mode (Neo4j), so a write the guard missed still fails there.
Both are tested (tests/test_analyst.py, tests/test_guard_corpus.py).

The guard reads the tokens of graph.db.cypher_lexer, which cuts the text as the engine does and
refuses text the engines could read in different ways. It fails closed: what it cannot
read, or reads as a possible write or an unbounded search, is refused (403), even where the
engine might have accepted it as harmless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graph.core.errors import InvalidInput, ReadOnlyViolation
from graph.db.cypher_lexer import CypherLexError, Token, code_tokens

# Clauses and commands that change data or schema, manage the server, reach files or other
# databases, or set the parser's version and options (`CYPHER 5 ...`).
FORBIDDEN_KEYWORDS = frozenset(
    {
        "CREATE",
        "MERGE",
        "DELETE",
        "DETACH",
        "NODETACH",
        "SET",
        "REMOVE",
        "DROP",
        "FOREACH",
        "LOAD",
        "CSV",
        "PERIODIC",
        "GRANT",
        "REVOKE",
        "DENY",
        "ALTER",
        "RENAME",
        "TERMINATE",
        "START",
        "STOP",
        "USE",
        "IMPORT",
        "INSERT",
        "FINISH",
        "ENABLE",
        "TRANSACTIONS",
        "SHOW",
        "CYPHER",
        "DEALLOCATE",
        "REALLOCATE",
    }
)

# Procedures that only read. Everything else (dbms.*, apoc.*, db.create*, gds.*, ...) is refused.
READ_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshiptypes",
        "db.propertykeys",
        "db.index.fulltext.querynodes",
        "db.index.fulltext.queryrelationships",
        "db.schema.visualization",
        "db.schema.nodetypeproperties",
        "db.schema.reltypeproperties",
    }
)


def _temporal(*kinds: str) -> set[str]:
    suffixes = ("", ".realtime", ".statement", ".transaction", ".truncate")
    return {kind + suffix for kind in kinds for suffix in suffixes}


# Neo4j 5's built-in functions that compute from their arguments (lower case, as names are
# matched). Not here: the admin and plugin namespaces (apoc.*, dbms.*, db.*, gds.*, graph.*),
# LOAD CSV's file() and linenumber(), and any user-defined function.
READ_FUNCTIONS = frozenset(
    {
        # aggregating
        *("avg", "collect", "count", "max", "min", "percentilecont", "percentiledisc"),
        *("stdev", "stdevp", "sum"),
        # lists and paths
        *("keys", "labels", "nodes", "range", "reduce", "relationships", "reverse", "tail"),
        *("tobooleanlist", "tofloatlist", "tointegerlist", "tostringlist"),
        *("shortestpath", "allshortestpaths"),
        # mathematics
        *("abs", "ceil", "floor", "isnan", "rand", "round", "sign", "e", "exp", "log"),
        *("log10", "sqrt", "acos", "asin", "atan", "atan2", "cos", "cot", "degrees"),
        *("haversin", "pi", "radians", "sin", "tan"),
        # predicates
        *("all", "any", "exists", "isempty", "none", "single"),
        # scalar
        *("char_length", "character_length", "coalesce", "elementid", "endnode", "head"),
        *("id", "last", "length", "nullif", "properties", "randomuuid", "size", "startnode"),
        *("timestamp", "toboolean", "tobooleanornull", "tofloat", "tofloatornull"),
        *("tointeger", "tointegerornull", "type", "valuetype"),
        # strings
        *("btrim", "left", "lower", "ltrim", "normalize", "replace", "right", "rtrim"),
        *("split", "substring", "tolower", "tostring", "tostringornull", "toupper", "trim"),
        "upper",
        # spatial, temporal, vectors
        *("point", "point.distance", "point.withinbbox"),
        *_temporal("date", "datetime", "localdatetime", "localtime", "time"),
        *("datetime.fromepoch", "datetime.fromepochmillis"),
        *("duration", "duration.between", "duration.indays", "duration.inmonths"),
        "duration.inseconds",
        *("vector.similarity.cosine", "vector.similarity.euclidean"),
    }
)
# Keywords that stand before `(` without calling anything: `MATCH (`, `WHERE (`, `AND (`,
# path selectors (`ANY SHORTEST (`) and match modes (`REPEATABLE ELEMENTS (`). Kept short:
# at an expression's place the grammar reads any name before `(` as a function's.
_KEYWORDS_BEFORE_PARENTHESIS = frozenset(
    {
        *("MATCH", "WHERE", "RETURN", "WITH", "UNWIND", "CALL", "AND", "OR", "XOR", "NOT"),
        *("IN", "DISTINCT", "CASE", "WHEN", "THEN", "ELSE", "BY", "SKIP", "LIMIT", "OFFSET"),
        *("CONTAINS", "EXISTS", "COUNT", "COLLECT", "ANY", "ALL", "SHORTEST", "PATH"),
        *("PATHS", "GROUPS", "FILTER", "ELEMENTS", "RELATIONSHIPS"),
    }
)

# Variable-length patterns must be bounded: `[*]`, `*..`, `((a)--(b))+` or `{2,}` without an
# end, or more hops than this, can run for ever (and ArcadeDB does not stop a query at its
# timeout). Hops add up across a query: two patterns of 6 hops each are a 12-hop search.
MAX_VARIABLE_HOPS = 6
MAX_QUERY_LENGTH = 20_000

# System records that hold secrets, and their secret properties: an :ApiKey keeps the hash
# of its token's secret. Analysts never read them; the named-query routes never serve them
# either (graph.access.auth.SYSTEM_QUERIES).
SECRET_LABELS = frozenset({"ApiKey"})
SECRET_PROPERTIES = frozenset({"hash"})
_SECRET_NAMES = {name.lower(): name for name in SECRET_LABELS | SECRET_PROPERTIES}
_BOUND = re.compile(r"0|[1-9](?:_?[0-9])*")  # a hop count as the grammar writes integers


def _refuse(message: str, detail: str | None = None) -> ReadOnlyViolation:
    details = [{"field": "body.query", "message": detail}] if detail else None
    return ReadOnlyViolation(f"read-only endpoint: {message}", details=details)


def _syntax_error(message: str) -> InvalidInput:
    """Brackets that do not pair: a syntax error (422), refused before the database all the
    same, since the guard could not measure the paths inside."""
    return InvalidInput(
        f"syntax error: {message}", details=[{"field": "body.query", "message": message}]
    )


def _is_name(token: Token) -> bool:
    return token.kind in ("name", "quoted_name")


def _check_secret_names(tokens: list[Token]) -> None:
    """Refuse a query that names a secret-holding label or property, as a name (`:ApiKey`,
    `.hash`, back-ticked or not) or as a whole string (`'ApiKey' IN labels(n)`, `n['hash']`)."""
    found = set()
    for token in tokens:
        if _is_name(token) or token.kind == "string":
            value = token.value.strip().lower()
            if value in _SECRET_NAMES:
                found.add(_SECRET_NAMES[value])
    if found:
        raise _refuse(
            "API key records and their hashes are not readable here",
            f"refused: {', '.join(sorted(found))}",
        )


def check_no_secrets(rows: list[list[Any]]) -> None:
    """The second look, at the result: a query that reached a key record without naming it
    (`MATCH (n) RETURN n`, `properties(n)`) is refused whole, not trimmed."""

    def walk(value: Any) -> bool:
        if isinstance(value, dict):
            labels = value.get("labels")
            if isinstance(labels, list) and SECRET_LABELS & set(map(str, labels)):
                return True
            if SECRET_PROPERTIES & set(value):
                return True
            return any(walk(v) for v in value.values())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return False

    if any(walk(cell) for row in rows for cell in row):
        raise ReadOnlyViolation(
            "read-only endpoint: the result holds API key records, which are not readable "
            "here; match a label, e.g. (n:Entity)"
        )


def _keyword(tokens: list[Token], index: int) -> str:
    """The keyword at `index`, or "" where the grammar reads a name: back-ticked, or right
    after `.` (a property key: `n.set`) or `$` (a parameter: `$limit`)."""
    token = tokens[index]
    if token.kind != "name" or (index and tokens[index - 1].is_symbol(".", "$")):
        return ""
    return token.upper


def _dotted_name(tokens: list[Token], index: int) -> tuple[str, int]:
    """The name `a.b.c` that starts at `index` (back-ticks dropped, lower case) and the index
    just past it."""
    parts = [tokens[index].value]
    index += 1
    while index + 1 < len(tokens) and tokens[index].is_symbol(".") and _is_name(tokens[index + 1]):
        parts.append(tokens[index + 1].value)
        index += 2
    return ".".join(part.strip().lower() for part in parts), index


def _check_calls(tokens: list[Token]) -> None:
    """CALL a procedure on the read-only list, or a subquery; call functions on the list."""
    procedure_names: set[int] = set()
    for index in range(len(tokens)):
        if _keyword(tokens, index) != "CALL":
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is not None and following.is_symbol("{", "("):
            continue  # a subquery, `CALL {` or `CALL (a, b) {`: its clauses are checked too
        if following is None or not _is_name(following):
            raise _refuse("CALL must name a read-only procedure")
        name, end = _dotted_name(tokens, index + 1)
        procedure_names.update(range(index + 1, end))
        if name not in READ_PROCEDURES:
            raise _refuse(
                f"procedure {name} is not on the read-only list",
                f"allowed: {', '.join(sorted(READ_PROCEDURES))}",
            )
    for index, token in enumerate(tokens[:-1]):
        if not _is_name(token) or index in procedure_names:
            continue
        if not tokens[index + 1].is_symbol("("):
            continue
        if _keyword(tokens, index) in _KEYWORDS_BEFORE_PARENTHESIS:
            continue
        start = index
        while start >= 2 and tokens[start - 1].is_symbol(".") and _is_name(tokens[start - 2]):
            start -= 2
        name, _ = _dotted_name(tokens, start)
        if name not in READ_FUNCTIONS:
            raise _refuse(
                f"function {name} is not on the list of functions allowed here",
                "built-in functions that compute from their arguments are allowed; "
                "procedures and plugin functions (apoc.*, dbms.*, db.*, gds.*) are not",
            )


@dataclass
class _Group:
    """An open bracket and the path hops counted inside it."""

    opener: int  # index of the `(`, `[` or `{` (-1: the whole query)
    relationship: bool  # `-[...]`: a relationship pattern's details
    lengths: bool = True  # `*` still reads as a length (not yet past the inline WHERE)
    budget: int = 0  # variable hops inside: what the query may search
    path_hops: int = 0  # relationships inside (a variable one counts its maximum)
    variable: list[int] = field(default_factory=list)  # `*` bounds at this level


def _bound(token: Token | None) -> int:
    if token is None or token.kind != "number" or not _BOUND.fullmatch(token.text):
        raise _refuse("a path length must be a plain integer, e.g. [*1..3] or {1,3}")
    return int(token.text)


def _quantifier(tokens: list[Token], index: int) -> tuple[int, int]:
    """The upper bound of the quantifier at `index` (`+`, `*`, `{n}`, `{n,m}`, `{,m}`) and
    the index past it; unbounded quantifiers are refused."""
    token = tokens[index]
    if token.is_symbol("+", "*"):
        raise _refuse(
            f"a quantified path pattern needs an upper bound: {{1,3}}, not {token.text}",
        )
    end = next((i for i in range(index, len(tokens)) if tokens[i].is_symbol("}")), None)
    if end is None:
        raise _refuse("a quantifier { is never closed")
    inner = tokens[index + 1 : end]
    comma = [i for i, t in enumerate(inner) if t.is_symbol(",")]
    if len(comma) > 1 or not inner or len(inner) > 3:
        raise _refuse("a path quantifier reads {n}, {n,m} or {,m}")
    if not comma:
        if len(inner) != 1:
            raise _refuse("a path quantifier reads {n}, {n,m} or {,m}")
        return _bound(inner[0]), end + 1
    low, high = inner[: comma[0]], inner[comma[0] + 1 :]
    if len(low) > 1 or len(high) != 1:
        raise _refuse(
            "a quantified path pattern needs an upper bound, e.g. {1,3}, not {n,}",
        )
    if low:
        _bound(low[0])
    return _bound(high[0]), end + 1


_CLOSERS = {"(": ")", "[": "]", "{": "}"}


def _path_like(tokens: list[Token], group: _Group) -> bool:
    """Whether a parenthesised group may be a path pattern, `((a)--(b))` or `(p = ...)`,
    rather than an expression: followed by `+`, `*` or `{`, it is then a quantified path
    pattern (`((1))*2`, arithmetic, is refused with it)."""
    first = tokens[group.opener + 1 : group.opener + 3]
    return bool(first) and (
        first[0].is_symbol("(")
        or (len(first) == 2 and _is_name(first[0]) and first[1].is_symbol("="))
    )


def _starts_quantifier(token: Token | None) -> bool:
    return token is not None and token.is_symbol("+", "*", "{")


def _variable_length(tokens: list[Token], index: int) -> int:
    """The upper bound of the variable-length relationship `*...` at `index`."""
    following = tokens[index + 1 : index + 4]
    low = following[0] if following and following[0].kind == "number" else None
    rest = following[1:] if low else following
    if rest and rest[0].is_symbol(".."):
        high = rest[1] if len(rest) > 1 and rest[1].kind == "number" else None
        if high is None:
            raise _refuse("variable-length patterns need an upper bound, e.g. [*1..3]")
        if low:
            _bound(low)
        return _bound(high)
    if low is None:
        raise _refuse("variable-length patterns need an upper bound, e.g. [*1..3]")
    return _bound(low)


def _check_path_lengths(tokens: list[Token]) -> None:
    """Bound every variable-length relationship (`[*1..3]`), quantified relationship
    (`-[]->{1,3}`) and quantified path pattern (`((a)--(b)){1,3}`), and their sum."""
    stack = [_Group(-1, relationship=False)]
    last_relationship: tuple[int, int] | None = None  # (hops, of which variable)
    index = 0
    while index < len(tokens):
        token, group = tokens[index], stack[-1]
        previous = tokens[index - 1] if index else None
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.is_symbol("(", "[", "{"):
            relationship = token.text == "[" and previous is not None and previous.is_symbol("-")
            stack.append(_Group(index, relationship))
        elif token.is_symbol(")", "]", "}"):
            closed = stack.pop()
            if not stack or _CLOSERS[tokens[closed.opener].text] != token.text:
                raise _syntax_error(f"{token.text} at character {token.start + 1} closes nothing")
            parent = stack[-1]
            if closed.relationship:
                variable = sum(closed.variable)
                hops = variable or 1
                parent.budget += closed.budget + variable
                parent.path_hops += closed.path_hops + hops
                last_relationship = (hops, variable)
            elif token.text == ")" and _starts_quantifier(following) and _path_like(tokens, closed):
                upper, index = _quantifier(tokens, index + 1)
                hops = upper * max(closed.path_hops, 1)
                parent.budget += hops
                parent.path_hops += hops
                continue
            else:
                parent.budget += closed.budget
                parent.path_hops += closed.path_hops
        elif group.relationship and _keyword(tokens, index) == "WHERE":
            group.lengths = False  # `[r WHERE r.w * 2 > 1]`: a product, not a length
        elif token.is_symbol("*") and group.relationship and group.lengths:
            group.variable.append(_variable_length(tokens, index))
        elif token.is_symbol("-") and following is not None and following.is_symbol("-"):
            group.path_hops += 1  # `--`, `-->`, `<--`: one fixed hop
            last_relationship = (1, 0)
        elif (
            _starts_quantifier(following)
            and previous is not None
            and (
                (token.is_symbol(">") and previous.is_symbol("-"))
                or (token.is_symbol("-") and previous.is_symbol("]", "-"))
            )
        ):
            # A quantified relationship, `-[r]->{1,3}` or `-->+`: the last relationship
            # pattern, repeated.
            hops, variable = last_relationship or (1, 0)
            upper, index = _quantifier(tokens, index + 1)
            group.budget += upper * hops - variable
            group.path_hops += upper * hops - hops
            continue
        index += 1
    if len(stack) != 1:
        opener = tokens[stack[-1].opener]
        raise _syntax_error(f"{opener.text} at character {opener.start + 1} is never closed")
    budget = stack[0].budget
    if budget > MAX_VARIABLE_HOPS:
        raise _refuse(
            f"variable-length patterns may span {MAX_VARIABLE_HOPS} hops in all; this query "
            f"asks for {budget}"
        )


def check_read_only(text: str) -> None:
    """Raise ReadOnlyViolation (403) unless `text` is one read query, InvalidInput (422)
    if it is empty or too long."""
    if not text.strip():
        raise InvalidInput(
            "the query is empty", details=[{"field": "body.query", "message": "required"}]
        )
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidInput(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    try:
        tokens = code_tokens(text)
    except CypherLexError as exc:
        raise _refuse(
            f"the query cannot be read safely: {exc}", f"refused at character {exc.position + 1}"
        ) from exc
    if not tokens:
        raise InvalidInput(
            "the query holds only comments",
            details=[{"field": "body.query", "message": "required"}],
        )
    if any(token.is_symbol(";") for token in tokens[:-1]):
        raise _refuse("one query at a time: the text holds several statements")
    forbidden = list(
        dict.fromkeys(
            keyword
            for index in range(len(tokens))
            if (keyword := _keyword(tokens, index)) in FORBIDDEN_KEYWORDS
        )
    )
    if forbidden:
        raise _refuse(
            f"not allowed here: {' '.join(forbidden)}", f"refused: {', '.join(forbidden)}"
        )
    _check_secret_names(tokens)
    _check_calls(tokens)
    _check_path_lengths(tokens)

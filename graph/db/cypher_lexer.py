"""Cypher text cut into tokens the way the engines cut it, or refused.

The one lexer of crimegraph: the analysts' guard (graph.db.readonly) reads its tokens, and the
named-query loader (graph.db.queries) finds parameters and statements with it. It follows the
lexical rules of Neo4j's Cypher grammar (Cypher 5 and 25; ArcadeDB 26 embeds the Cypher 25
lexer), checked against the embedded engine over Bolt:

- `//` comments end at `\\n` or `\\r` and nowhere else; `/* ... */` comments do not nest and
  end at the first `*/`.
- Strings are '...' or "..." in which a backslash escapes any one character; names in
  back-ticks double a back-tick to hold one (`a``b`).
- Whitespace is ASCII space, tab, LF, VT, FF, CR, the separators FS GS RS US, and Unicode's
  space and line/paragraph separators (Zs, Zl, Zp).

A guard is only as good as its agreement with the engine, so where engines (or versions)
read the same text differently the lexer refuses the text rather than pick one reading
(CypherLexError, which the guard answers with 403):

- `\\uXXXX` anywhere but in a string (in code, comments and back-ticked names): Neo4j 5
  decodes unicode escapes before it reads the text (its manual's example is `M\\u0041TCH`),
  Cypher 25 and ArcadeDB only inside strings. In a string, an escape of a quote or a
  backslash, which would end the string if decoded first.
- U+0085 (NEL): an identifier character in Neo4j 5, whitespace in Cypher 25.
- In a `//` comment, any character some reader may take for a line break (VT, FF, FS..US,
  NEL, U+2028, U+2029); in a `/* */` comment, a second `/*` (a reader that nests comments
  would read on past the first `*/`, where the engines stop).
- Unterminated strings, names and comments, and any other character the grammar has no
  token for outside strings and comments (Unicode dashes and arrow heads, which Cypher 25
  reads as `-`, `<`, `>`, included: write them in ASCII).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["comment", "string", "quoted_name", "name", "number", "symbol"]

# What every engine reads as whitespace between tokens (Cypher25Lexer SPACE, minus U+0085).
_SPACE = re.compile(
    "[ \t\n\x0b\x0c\r\x1c-\x1f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
)
# Characters that some reader of a `//` comment may take for its end.
_LINE_BREAK_LOOKALIKES = re.compile("[\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
_LINE_COMMENT = re.compile(r"//[^\r\n]*")
_STRING = {
    "'": re.compile(r"'(?:[^'\\]|\\.)*'", re.DOTALL),
    '"': re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL),
}
_QUOTED_NAME = re.compile(r"`(?:[^`]|``)*`")
# DECIMAL_DOUBLE (`1.5`, `.5`, `1e-3`), then the integers (`0x1F`, `0o17`, `1_000`): a word
# that starts with a digit is one token, never a keyword.
_DIGITS = r"[0-9](?:_?[0-9])*"
_EXPONENT = r"[eE][+-]?(?:_?[0-9])+\w*"
_NUMBER = re.compile(
    rf"(?:{_DIGITS})?\.[0-9](?:_?[0-9])*(?:{_EXPONENT})?\w*|{_DIGITS}{_EXPONENT}|[0-9]\w*"
)
_NAME = re.compile(r"[^\W\d]\w*")  # a letter or `_`, then letters, digits, `_`
_SYMBOLS = ("..", "::", "<=", ">=", "<>", "!=", "=~", "+=", "||")
_SYMBOL_CHARS = frozenset("()[]{},;:.=<>+-*/%^|$&!?")
# A unicode escape as Neo4j 5 decodes it before lexing (Java's rule: any number of `u`s).
_UNICODE_ESCAPE = re.compile(r"\\u+([0-9A-Fa-f]{4})?")
# Decoded first, these would end (or escape the end of) the string they stand in.
_UNSAFE_IN_STRING = frozenset("'\"\\")
_STRING_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}


class CypherLexError(ValueError):
    """The text cannot be tokenised, or engines would not agree on its tokens."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"{reason} (at character {position + 1})")
        self.reason = reason
        self.position = position


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str  # exactly as written
    start: int
    end: int

    @property
    def upper(self) -> str:
        """A keyword's spelling: keywords are names, matched ASCII case-insensitively."""
        return self.text.upper() if self.kind == "name" else ""

    @property
    def value(self) -> str:
        """What the token denotes: a name without its back-ticks, a string decoded."""
        if self.kind == "quoted_name":
            return self.text[1:-1].replace("``", "`")
        if self.kind == "string":
            return _decode_string(self.text[1:-1])
        return self.text

    def is_symbol(self, *texts: str) -> bool:
        return self.kind == "symbol" and self.text in texts


def _decode_string(body: str) -> str:
    """A string literal's value: `\\'`, `\\n`, `\\uXXXX`... decoded; an unknown escape (`\\q`)
    keeps its backslash, as the engines do."""
    out: list[str] = []
    i = 0
    while i < len(body):
        char, escaped = body[i], body[i + 1 : i + 2]
        if char != "\\" or not escaped:
            out.append(char)
            i += 1
            continue
        width = {"u": 4, "U": 8}.get(escaped, 0)
        digits = body[i + 2 : i + 2 + width]
        if (
            width
            and len(digits) == width
            and re.fullmatch(r"[0-9A-Fa-f]+", digits)
            and int(digits, 16) <= 0x10FFFF
        ):
            out.append(chr(int(digits, 16)))
            i += 2 + width
            continue
        if escaped in _STRING_ESCAPES or escaped in "'\"\\":
            out.append(_STRING_ESCAPES.get(escaped, escaped))
        else:
            out.append(char + escaped)
        i += 2
    return "".join(out)


def _check_unicode_escapes(text: str, kind: str, start: int) -> None:
    """Refuse a `\\u` escape whose reading depends on the engine (see the module doc)."""
    for match in _UNICODE_ESCAPE.finditer(text):
        position = start + match.start()
        if kind != "string":
            where = {"comment": "a comment", "quoted_name": "a back-ticked name"}.get(kind, "code")
            raise CypherLexError(
                f"a unicode escape (\\u...) in {where}: engines read it differently; "
                "write the character itself",
                position,
            )
        if match.group(1) is None:
            raise CypherLexError("\\u must be followed by four hexadecimal digits", position)
        if chr(int(match.group(1), 16)) in _UNSAFE_IN_STRING:
            raise CypherLexError(
                "a unicode escape of a quote or backslash in a string: engines that decode "
                "escapes first would end the string there",
                position,
            )


def tokenize(text: str) -> list[Token]:
    """Every token of `text` but whitespace, comments included, or CypherLexError."""
    tokens: list[Token] = []
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        space = _SPACE.match(text, position)
        if space:
            position = space.end()
            continue
        if text.startswith("//", position):
            match = _LINE_COMMENT.match(text, position)
            assert match is not None  # `//` always matches
            odd = _LINE_BREAK_LOOKALIKES.search(match.group())
            if odd:
                raise CypherLexError(
                    f"a // comment holds U+{ord(odd.group()):04X}, which some readers take "
                    "for a line break; use a new line or /* */",
                    position + odd.start(),
                )
            _check_unicode_escapes(match.group(), "comment", position)
            tokens.append(Token("comment", match.group(), position, match.end()))
            position = match.end()
            continue
        if text.startswith("/*", position):
            end = text.find("*/", position + 2)
            if end < 0:
                raise CypherLexError("a /* comment is never closed", position)
            inner = text.find("/*", position + 2, end)
            if inner >= 0:
                raise CypherLexError("a /* inside a /* */ comment (nested comments)", inner)
            _check_unicode_escapes(text[position:end], "comment", position)
            tokens.append(Token("comment", text[position : end + 2], position, end + 2))
            position = end + 2
            continue
        if char in _STRING or char == "`":
            kind: TokenKind = "quoted_name" if char == "`" else "string"
            match = (_QUOTED_NAME if char == "`" else _STRING[char]).match(text, position)
            if not match:
                what = "back-ticked name" if char == "`" else "string"
                raise CypherLexError(f"a {what} is never closed", position)
            _check_unicode_escapes(match.group(), kind, position)
            tokens.append(Token(kind, match.group(), position, match.end()))
            position = match.end()
            continue
        if char == "\\":
            _check_unicode_escapes(text[position : position + 2], "code", position)
            raise CypherLexError("a backslash outside a string", position)
        for pattern, kind in ((_NUMBER, "number"), (_NAME, "name")):
            match = pattern.match(text, position)
            if match:
                tokens.append(Token(kind, match.group(), position, match.end()))
                position = match.end()
                break
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, position)), None)
            if symbol is None and char in _SYMBOL_CHARS:
                symbol = char
            if symbol is None:
                raise CypherLexError(
                    f"character U+{ord(char):04X} {char!r} is not Cypher outside a string "
                    "or comment",
                    position,
                )
            tokens.append(Token("symbol", symbol, position, position + len(symbol)))
            position += len(symbol)
    return tokens


def code_tokens(text: str) -> list[Token]:
    """The tokens the engine parses: all but comments."""
    return [token for token in tokenize(text) if token.kind != "comment"]


def blank_out(text: str, kinds: Iterable[TokenKind]) -> str:
    """`text` with every token of these kinds replaced by one space (positions of the rest
    shift; line structure inside blanked tokens is lost)."""
    wanted = set(kinds)
    parts: list[str] = []
    position = 0
    for token in tokenize(text):
        if token.kind in wanted:
            parts.append(text[position : token.start])
            parts.append(" ")
            position = token.end
    parts.append(text[position:])
    return "".join(parts)

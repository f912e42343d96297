"""Named queries: one Cypher query per .cypher file, with a `//` header.

    // name: entity_by_id
    // mode: read
    // description: One entity and its provenance.
    // audience: plumbing
    // param id: STRING = "person-mohamed-amra-1a2b3c4d"
    MATCH (n:Entity {id: $id}) RETURN n

The header declares the query's name (equal to the file name), its mode, a one-line
description, its audience (investigator or plumbing, the default) and every parameter with a
type and a JSON example. The loader discovers the
parameters the body really uses (after stripping comments, strings and quoted names) and
refuses a file whose declared and used parameters differ, so the header an analyst reads in
the Neo4j Browser is always the truth.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from graph.core.errors import InvalidInput, NotFound, QueryDefinitionError
from graph.db.cypher_lexer import CypherLexError, blank_out, code_tokens
from graph.db.literals import cypher_literal

QueryMode = Literal["read", "write"]
PARAM_TYPES = (
    "STRING",
    "INTEGER",
    "FLOAT",
    "BOOLEAN",
    "DATE",
    "MAP",
    "LIST<STRING>",
    "LIST<INTEGER>",
    "LIST<MAP>",
)
# Who a query is for: `investigator` queries make the main list (/explore, GET
# /api/v1/queries); `plumbing` ones serve the server, imports and reviews and are listed only
# when asked for. Every file of cypher/queries/read says which (tests/test_query_audience.py).
AUDIENCES = ("investigator", "plumbing")
QueryAudience = Literal["investigator", "plumbing"]
RESERVED_NAMES = {"show"}  # `crimegraph query show NAME` must stay unambiguous
# Parameters the store fills for the engine it talks to; callers never pass them. Their
# header example is the Neo4j value, so the Browser block stays runnable on Neo4j.
# The handling parameters come from the caller's visibility (graph.access.visibility); a query that
# filters on handling declares both, with these types.
HANDLING_PARAMS = {"handling_all": "BOOLEAN", "handling_codes": "LIST<STRING>"}
ENGINE_PARAMS = frozenset({"fulltext_index", *HANDLING_PARAMS})

# `// name: x`, `// mode: read`, `// description: ...`, `// audience: investigator`,
# `// param NAME: TYPE = EXAMPLE`
_HEADER_FIELD = re.compile(
    r"^//\s*(?:(?P<key>name|mode|description|audience)\s*:|param\s+(?=[A-Za-z_]\w*\s*:))\s*(?P<value>.*?)\s*$"
)
_PARAM_DECL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([A-Z<>]+)\s*=\s*(.+)$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str
    example: Any

    def check(self, value: Any) -> Any:
        """Return the value in the form the driver expects, or raise ValueError."""
        return _check_type(self.type, value)

    def parse_text(self, text: str) -> Any:
        """Parse a value given on the command line (`--param k=v`)."""
        if self.type == "STRING":
            return text
        if self.type == "DATE":
            return _check_type("DATE", text)
        try:
            return _check_type(self.type, json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValueError(f"expected {self.type} as JSON, got {text!r}") from exc


@dataclass(frozen=True)
class NamedQuery:
    name: str
    mode: QueryMode
    description: str
    params: tuple[QueryParam, ...]
    body: str
    path: Path
    text: str = field(repr=False)
    audience: QueryAudience = "plumbing"

    @property
    def user_params(self) -> tuple[QueryParam, ...]:
        """The parameters a caller gives (the engine-provided ones excluded)."""
        return tuple(p for p in self.params if p.name not in ENGINE_PARAMS)

    @property
    def example_params(self) -> dict[str, Any]:
        return {p.name: _check_type(p.type, p.example) for p in self.params}

    def bind(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Check a caller's parameters against the header: none missing, none unknown."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        missing = sorted(set(declared) - set(values))
        problems = [{"field": name, "message": "unknown parameter"} for name in unknown] + [
            {"field": name, "message": "missing parameter"} for name in missing
        ]
        bound: dict[str, Any] = {}
        for name, param in declared.items():
            if name in values:
                try:
                    bound[name] = param.check(values[name])
                except ValueError as exc:
                    problems.append({"field": name, "message": str(exc)})
        if problems:
            summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
            raise InvalidInput(f"query {self.name}: {summary}", details=problems)
        return bound

    def browser_block(self) -> str:
        """`:param` lines plus the body, ready to paste into the Neo4j Browser."""
        lines = [f"// {self.name} ({self.mode}): {self.description}"]
        lines += [f":param {p.name} => {param_literal(p.type, p.example)};" for p in self.params]
        lines.append(self.body.strip())
        return "\n".join(lines) + "\n"


def _check_type(type_name: str, value: Any) -> Any:
    if type_name == "STRING" and isinstance(value, str):
        return value
    if type_name == "INTEGER" and isinstance(value, int) and not isinstance(value, bool):
        if not -(2**63) <= value < 2**63:
            raise ValueError("expected a 64-bit INTEGER")
        return value
    if type_name == "FLOAT" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if type_name == "BOOLEAN" and isinstance(value, bool):
        return value
    if type_name == "DATE":
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    if type_name == "MAP" and isinstance(value, dict):
        return value
    if type_name.startswith("LIST<") and isinstance(value, list):
        inner = type_name[5:-1]
        return [_check_type(inner, v) for v in value]
    raise ValueError(f"expected {type_name}, got {json.dumps(value, default=str)[:80]}")


def param_literal(type_name: str, value: Any) -> str:
    """A parameter's JSON example as a Cypher literal (for the Browser's `:param`)."""
    return cypher_literal(value, as_date=type_name in ("DATE", "LIST<DATE>"))


# The strip helpers and the parameter finder read graph.db.cypher_lexer's tokens, the ones the
# analysts' guard reads: one lexer, so a comment ends where the engine ends it (`\n` or `\r`).
# Text it cannot read raises CypherLexError (a ValueError).


def strip_non_code(text: str) -> str:
    """The Cypher text with comments, string literals and back-ticked names blanked out."""
    return blank_out(text, ("comment", "string", "quoted_name"))


def strip_comments_and_strings(text: str) -> str:
    """The Cypher text with comments and string literals blanked out, back-ticked names kept
    (a back-ticked procedure name is still a procedure name)."""
    return blank_out(text, ("comment", "string"))


def used_parameters(body: str) -> set[str]:
    """Parameters a Cypher text uses (`$name`, `$`name``), ignoring comments, strings and
    quoted names."""
    tokens = code_tokens(body)
    return {
        following.value
        for token, following in itertools.pairwise(tokens)
        if token.is_symbol("$") and following.kind in ("name", "quoted_name")
    }


def parse_query_file(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")

    def fail(message: str) -> QueryDefinitionError:
        return QueryDefinitionError(
            f"{path}: {message}", details=[{"file": str(path), "message": message}]
        )

    header: dict[str, str] = {}
    params: list[QueryParam] = []
    body_lines: list[str] = []
    in_header = True
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_header and stripped.startswith("//"):
            match = _HEADER_FIELD.match(stripped)
            if not match:
                continue  # a free comment inside the header
            key, value = match["key"] or "param", match["value"]
            if key == "param":
                params.append(_parse_param(value, fail, number))
            elif key in header:
                raise fail(f"line {number}: `{key}` is declared twice")
            else:
                header[key] = value
            continue
        if in_header and not stripped:
            continue
        in_header = False
        body_lines.append(line)

    for key in ("name", "mode", "description"):
        if not header.get(key):
            raise fail(f"header is missing `// {key}: ...`")
    name, mode = header["name"], header["mode"]
    if not _NAME.match(name):
        raise fail(f"name {name!r} must be snake_case")
    if name != path.stem:
        raise fail(f"name {name!r} must equal the file name {path.stem!r}")
    if name in RESERVED_NAMES:
        raise fail(f"name {name!r} is reserved")
    if mode not in ("read", "write"):
        raise fail(f"mode must be read or write, not {mode!r}")
    # Untagged is plumbing: a query reaches the main list only by saying it is for investigators.
    audience = header.get("audience", "plumbing")
    if audience not in AUDIENCES:
        raise fail(f"audience must be {' or '.join(AUDIENCES)}, not {audience!r}")
    body = "\n".join(body_lines).strip()
    if not body:
        raise fail("the file has no query body")
    try:
        tokens = code_tokens(body)
    except CypherLexError as exc:
        raise fail(f"the body cannot be read as Cypher: {exc}") from exc
    if any(token.is_symbol(";") for token in tokens[:-1]):
        raise fail("one query per file: found more than one statement")
    if tokens and tokens[-1].is_symbol(";"):
        body = body[: tokens[-1].start].rstrip()

    declared_names = [p.name for p in params]
    duplicates = sorted({n for n in declared_names if declared_names.count(n) > 1})
    if duplicates:
        raise fail(f"parameters declared twice: {', '.join(duplicates)}")
    handling = {p.name: p.type for p in params if p.name in HANDLING_PARAMS}
    if handling and handling != HANDLING_PARAMS:
        wanted = ", ".join(f"${n}: {t}" for n, t in HANDLING_PARAMS.items())
        raise fail(f"a query that filters on handling declares both {wanted}")
    used = used_parameters(body)
    undeclared = sorted(used - set(declared_names))
    unused = sorted(set(declared_names) - used)
    if undeclared or unused:
        parts = []
        if undeclared:
            parts.append(f"used but not declared: {', '.join('$' + n for n in undeclared)}")
        if unused:
            parts.append(f"declared but not used: {', '.join('$' + n for n in unused)}")
        raise fail("; ".join(parts))
    return NamedQuery(
        name=name,
        mode=mode,  # type: ignore[arg-type]  # checked just above
        description=header["description"],
        params=tuple(params),
        body=body,
        path=path,
        text=text,
        audience=audience,  # type: ignore[arg-type]  # checked just above
    )


def _parse_param(value: str, fail: Any, number: int) -> QueryParam:
    match = _PARAM_DECL.match(value)
    if not match:
        raise fail(f"line {number}: write params as `// param NAME: TYPE = EXAMPLE`")
    name, type_name, example_text = match.groups()
    if type_name not in PARAM_TYPES:
        raise fail(f"line {number}: type {type_name} is not one of {', '.join(PARAM_TYPES)}")
    try:
        example = json.loads(example_text)
        _check_type(type_name, example)
    except (json.JSONDecodeError, ValueError) as exc:
        raise fail(f"line {number}: example for ${name} is not a JSON {type_name}: {exc}") from exc
    return QueryParam(name=name, type=type_name, example=example)


class QuerySet(Mapping[str, NamedQuery]):
    """All named queries under a directory, validated when loaded."""

    def __init__(self, queries: dict[str, NamedQuery]) -> None:
        self._queries = queries

    @classmethod
    def load(cls, *directories: Path) -> QuerySet:
        queries: dict[str, NamedQuery] = {}
        for directory in directories:
            if not directory.is_dir():
                raise QueryDefinitionError(f"{directory}: no such query directory")
            for path in sorted(directory.rglob("*.cypher")):
                query = parse_query_file(path)
                if query.name in queries:
                    other = queries[query.name].path
                    raise QueryDefinitionError(f"{path}: name {query.name!r} also used by {other}")
                queries[query.name] = query
        return cls(queries)

    def __getitem__(self, name: str) -> NamedQuery:
        try:
            return self._queries[name]
        except KeyError:
            raise NotFound(f"no named query {name!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._queries)

    def __len__(self) -> int:
        return len(self._queries)

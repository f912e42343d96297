"""Imports and exports of the whole graph: FollowTheMoney JSON lines, CSV, snapshot JSON.

An import is one batch (docs/import-format.md):

1. read: the file becomes node and relationship records, each with the file, line and
   field it came from (`read_import`);
2. validate: every record is checked against graph/model/model.yaml, against the rest of the
   file and against the graph (ids already stored must hold the same facts); every problem
   is collected, and any problem rejects the whole file (`ImportRejected`), nothing written;
3. write: one transaction holds the `:Dataset` record of the import and every node and
   relationship, each of which gets the dataset's id in `dataset_ids`.

The dataset id comes from the file's hash (and the import options), so importing the same
file again writes nothing and returns the first import's record.

Exports (`export_graph`) read the graph, or one dataset, page by page into the snapshot
shape, which graph.formats.export writes as FtM JSON lines (each entity carrying the `crimegraph`
extension key) or neo4j-admin CSV; importing either into an empty graph gives the graph back.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import random
import re
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, partial
from pathlib import Path, PurePosixPath
from typing import IO, Any

from followthemoney import model as ftm_model
from followthemoney.schema import Schema

from graph.access import visibility
from graph.access.auth import local_user
from graph.core.errors import Conflict, ConstraintViolation, InvalidInput, NotFound, SeedDataError
from graph.core.settings import Settings
from graph.core.text import search_text, stable_id
from graph.db.codegen import create_nodes_query, create_relationships_query
from graph.db.store import Row, Store, WriteStep
from graph.formats.export import (
    FTM_EXTENSION,
    FTM_FALLBACK,
    FTM_LINK_ROLE,
    FTM_LINK_SCHEMA,
    FTM_PROPERTIES,
    GRAPH_EXPORT_FORMAT,
    to_admin_csv,
    to_admin_csv_zip,
    to_ftm,
    unguard_cell,
)
from graph.formats.snapshot_json import Snapshot, canonical_json
from graph.model.schema import (
    DEFAULT_GRADING,
    Model,
    PropertySpec,
    check_value,
    parse_grading,
    store_value,
)

FORMATS = ("ftm", "csv", "snapshot")
FTM_SUFFIXES = (".jsonl", ".ndjson", ".ijson", ".ftm.json", ".ftm")
MAX_REPORTED_PROBLEMS = 50
WRITE_BATCH = 5000  # rows per write step: 1000-10000 measure alike (benchmarks/README.md)
WRITE_BATCH_CHARS = 4 * 1024 * 1024  # text per write step: a Bolt message stays under 16 MiB
LOOKUP_BATCH = 5000  # ids per read of existing nodes
REL_LOOKUP_BATCH = 20000  # ids per scan of existing relationships
MAX_MERGE_CHAIN = 20  # merges of merges followed when redirecting relationships
IMPORT_ATTEMPTS = 8  # validate-and-write rounds of an import that meets concurrent writers
IMPORT_BACKOFF = 0.05  # seconds; the pause before round n+1 is random, up to this * 2**n
EXPORT_BATCH = 5000  # start entities per read of relationships
MAX_ID_LENGTH = 512
CSV_FIELD_LIMIT = 256 * 1024 * 1024
DEFAULT_CONFIDENCE = 50
PROVENANCE_LISTS = ("source_ids", "quotes", "dataset_ids")  # unioned on ids already stored
SYSTEM_DERIVED = ("search_text",)  # recomputed on import, dropped from exports
_ADMIN_DELIMITER = re.compile(r"--array-delimiter=(?:'(.)'|U\+([0-9A-Fa-f]{4}))")
_CSV_SPLIT = re.compile(r"(?<!\\)((?:\\\\)*)\|")
ZIP_RATIO_FLOOR = 1024 * 1024  # a member unpacking to less is no bomb, whatever its ratio
ZIP_READ_CHUNK = 64 * 1024  # bytes asked of a zip member at once: bounds each inflate call
README_BYTES = 1024 * 1024  # of README.txt, read for its --array-delimiter line
# For bounding JSON nesting before json.loads recurses into it: every byte but quotes and
# brackets (UTF-8 never repeats an ASCII byte inside a multi-byte character); a string,
# or an unterminated one up to the end (so a scan never backtracks), or a bracket.
_NOT_JSON_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_JSON_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)
_ADMIN_TYPES = {
    "int": int,
    "long": int,
    "short": int,
    "byte": int,
    "float": float,
    "double": float,
}

Progress = Callable[[str], None]


# --- records, problems and results -------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with an import: the file, its line (None for snapshot JSON, whose
    `field` gives the path, e.g. nodes[3].properties.name) and the field."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{self.file}: {where}{self.field}: {self.message}"

    def detail(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class ImportRejected(SeedDataError):
    """The file has problems; nothing was written. `details` lists them (up to a bound)."""

    code = "import_rejected"


@dataclass
class Record:
    """A node or relationship as read from a file, before validation."""

    file: str
    line: int | None
    prefix: str  # prepended to a property name to name the field in the file
    fields: dict[str, str]  # field names for id, label, type, from, to and renamed properties
    id: Any
    props: dict[str, Any]

    def field(self, name: str) -> str:
        if name == "-":  # the record as a whole
            return name
        return self.fields.get(name) or f"{self.prefix}{name}"


@dataclass
class NodeRecord(Record):
    label: str | None = None  # None: the reader reported why
    reference: bool = False  # a cited Document the file does not carry: must be stored


@dataclass
class RelRecord(Record):
    type: str | None = None
    from_id: Any = None
    to_id: Any = None


@dataclass
class ParsedImport:
    format: str
    file_name: str
    sha256: str
    nodes: list[NodeRecord] = field(default_factory=list)
    relationships: list[RelRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)  # "Person.birthDate" -> count

    def problem(self, record: Record | None, name: str, message: str) -> None:
        if record is None:
            self.problems.append(Problem(self.file_name, None, name, message))
        else:
            self.problems.append(Problem(record.file, record.line, record.field(name), message))


@dataclass(frozen=True)
class OptionNames:
    """How messages name the import's options: as the caller spells them. The defaults
    are the API's query parameters; the CLI passes its flags (CLI_OPTION_NAMES)."""

    source_document: str = "source_document"
    format: str = "format={}"  # with the value in place of {}

    def format_as(self, value: str) -> str:
        return self.format.format(value)


CLI_OPTION_NAMES = OptionNames(source_document="--source-document", format="--format {}")


@dataclass(frozen=True)
class ImportOptions:
    """How to fill what a file does not say (see docs/import-format.md)."""

    source_document: str | None = None  # cited by rows without sources
    grading: str = DEFAULT_GRADING  # for rows without reliability/credibility
    confidence: int = DEFAULT_CONFIDENCE  # for rows without confidence
    names: OptionNames = field(default=OptionNames(), compare=False)  # for messages only

    def checked(self) -> ImportOptions:
        if parse_grading(self.grading) is None:
            raise InvalidInput(
                f"grading {self.grading!r} is not an Admiralty code such as B2",
                details=[{"field": "grading", "message": "a letter A-F then a digit 1-6"}],
            )
        if isinstance(self.confidence, bool) or not 0 <= self.confidence <= 100:
            raise InvalidInput(
                "confidence must be an integer from 0 to 100",
                details=[{"field": "confidence", "message": "an integer from 0 to 100"}],
            )
        return self

    def key(self) -> str:
        """The options that differ from the defaults, as canonical JSON ("" when none):
        part of the dataset id, since they change what the import writes."""
        given = {
            name: value
            for name, value, default in (
                ("source_document", self.source_document, None),
                ("grading", self.grading, DEFAULT_GRADING),
                ("confidence", self.confidence, DEFAULT_CONFIDENCE),
            )
            if value != default
        }
        return canonical_json(given) if given else ""


@dataclass
class ImportResult:
    dataset: dict[str, Any]  # the Dataset record (dataset_by_id's columns)
    created: bool  # False: the same file was imported before; nothing was written
    ignored: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # read, validate, write, total


def _setting(name: str) -> Any:
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class ImportLimits:
    """How much a file may make an import read: hostile files (a JSON nested 50,000 deep,
    a zip whose 300 KB unpack to 300 MB) are refused before they cost memory or stack.
    The defaults are graph.core.settings' (CRIMEGRAPH_IMPORT_*)."""

    max_json_depth: int = _setting("import_max_json_depth")
    zip_max_members: int = _setting("import_zip_max_members")
    zip_max_member_bytes: int = _setting("import_zip_max_member_bytes")
    zip_max_total_bytes: int = _setting("import_zip_max_total_bytes")
    zip_max_ratio: float = _setting("import_zip_max_ratio")

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        return cls(
            max_json_depth=settings.import_max_json_depth,
            zip_max_members=settings.import_zip_max_members,
            zip_max_member_bytes=settings.import_zip_max_member_bytes,
            zip_max_total_bytes=settings.import_zip_max_total_bytes,
            zip_max_ratio=settings.import_zip_max_ratio,
        )


def json_too_deep(data: bytes, limit: int) -> int | None:
    """The offset in `data` (UTF-8 JSON) of the bracket that opens level limit+1, or None.

    Counted without parsing: brackets outside strings, opened minus closed. That is never
    less than the depth json.loads recurses to before it succeeds or fails, so data that
    passes cannot exhaust the parser's stack. Linear time, mostly in C: only data with more
    than `limit` opening brackets is scanned at all."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return None
    # Escapes first (an escaped backslash, then an escaped quote), then all but quotes and
    # brackets; quotes then pair up in order, and what lies between pairs is string.
    structure = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_JSON_STRUCTURE)
    depth = 0
    for byte in b"".join(structure.split(b'"')[::2]):
        if byte in b"[{":
            depth += 1
            if depth > limit:
                break
        elif depth:
            depth -= 1
    else:
        return None
    depth = 0  # too deep: find where, for the message (a slower scan, rejected files only)
    for match in _JSON_TOKENS.finditer(data):
        byte = data[match.start()]
        if byte in b"[{":
            depth += 1
            if depth > limit:
                return match.start()
        elif byte in b"]}" and depth:
            depth -= 1
    return 0  # the scans differ only past bytes that are not JSON: refuse all the same


def _too_deep_message(limit: int) -> str:
    return f"JSON nested deeper than {limit} levels (CRIMEGRAPH_IMPORT_MAX_JSON_DEPTH); not read"


# --- sources: bytes, a zip or a directory ------------------------------------------------


@dataclass(frozen=True)
class CsvMember:
    """One file of a CSV import, opened on demand: a zip's members are streamed, within
    the import's limits, never unpacked whole."""

    name: str  # inside the directory or zip
    shown: str  # how problems name it: upload.zip/Person.csv
    open: Callable[[], IO[bytes]]


class _BoundedMember(io.RawIOBase):
    """A zip member's bytes, counted as they are unpacked: past the member's or the
    import's budget, the import is refused naming the member. zipfile itself stops at the
    size the header gives (and then checks the CRC); this holds even if a header lies."""

    def __init__(self, stream: IO[bytes], shown: str, allowed: int, total: list[int]) -> None:
        self.stream, self.shown, self.allowed, self.total = stream, shown, allowed, total
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(min(len(buffer), ZIP_READ_CHUNK))
        self.read_bytes += len(data)
        self.total[0] -= len(data)
        if self.read_bytes > self.allowed or self.total[0] < 0:
            raise _reject(
                [Problem(self.shown, None, "-", "unpacks to more than the import's limits allow")]
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.stream.close()
        super().close()


def _csv_member_name(name: str) -> bool:
    return PurePosixPath(name).name.lower().endswith((".csv", ".txt"))


def _zip_problems(
    shown: str, data: bytes, infos: list[zipfile.ZipInfo], limits: ImportLimits
) -> list[Problem]:
    """What the headers of the members to read say against the limits, before any is read."""
    problems = []
    total = 0
    for info in infos:
        where = f"{shown}/{info.filename}"
        size, packed = info.file_size, max(info.compress_size, 1)
        total += size
        if info.compress_size > len(data):
            # A header may lie; this lie would inflate the ratio's allowance.
            problems.append(Problem(where, None, "-", "its header claims more bytes than the zip"))
        elif size > limits.zip_max_member_bytes:
            problems.append(
                Problem(
                    where,
                    None,
                    "-",
                    f"unpacks to {size:,} bytes, more than the {limits.zip_max_member_bytes:,} "
                    "bytes one file may (CRIMEGRAPH_IMPORT_ZIP_MAX_MEMBER_BYTES)",
                )
            )
        elif size > ZIP_RATIO_FLOOR and size > limits.zip_max_ratio * packed:
            problems.append(
                Problem(
                    where,
                    None,
                    "-",
                    f"unpacks to {size:,} bytes from {packed:,}: more than "
                    f"{limits.zip_max_ratio:g} times its packed size "
                    "(CRIMEGRAPH_IMPORT_ZIP_MAX_RATIO); a zip bomb?",
                )
            )
    if total > limits.zip_max_total_bytes and not problems:
        problems.append(
            Problem(
                shown,
                None,
                "-",
                f"its files unpack to {total:,} bytes, more than the "
                f"{limits.zip_max_total_bytes:,} an import may "
                "(CRIMEGRAPH_IMPORT_ZIP_MAX_TOTAL_BYTES)",
            )
        )
    return problems


@dataclass(frozen=True)
class ImportSource:
    """What to import: one file's bytes, or the CSV files of a directory."""

    name: str
    data: bytes | None = None
    members: tuple[tuple[str, bytes], ...] = ()  # a directory's files, by relative name

    @classmethod
    def from_path(cls, path: Path) -> ImportSource:
        try:
            if path.is_dir():
                members = tuple(
                    (p.relative_to(path).as_posix(), p.read_bytes())
                    for p in sorted(path.rglob("*"))
                    if p.is_file()
                )
                return cls(path.name, None, members)
            return cls(path.name, path.read_bytes())
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from exc

    @cached_property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        if self.data is not None:
            digest.update(self.data)
        else:
            for name, data in self.members:
                digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()

    @property
    def is_zip(self) -> bool:
        return self.data is not None and self.data[:4] == b"PK\x03\x04"

    def check_zip_name(self) -> None:
        """A file named *.zip must be one: reading it as anything else only confuses."""
        if self.data is not None and self.name.lower().endswith(".zip") and not self.is_zip:
            raise _reject(
                [Problem(self.name, None, "-", "not a zip archive (it does not start as one)")]
            )

    @contextmanager
    def csv_members(self, limits: ImportLimits | None = None) -> Iterator[list[CsvMember]]:
        """The .csv and .txt files of a directory or a zip, or the one file, in name order.
        A zip is checked against `limits` (members, unpacked sizes, ratio) before any member
        is read, and each member is counted again while it is read."""
        limits = limits or ImportLimits()
        if self.data is None:
            yield [
                CsvMember(name, f"{self.name}/{name}", partial(io.BytesIO, data))
                for name, data in self.members
                if _csv_member_name(name)
            ]
            return
        self.check_zip_name()
        if not self.is_zip:
            data = self.data
            yield [CsvMember(self.name, self.name, lambda: io.BytesIO(data))]
            return
        # Each entry of the central directory starts with this signature: their count bounds
        # the entries ZipFile will read (and hold in memory), whatever the end record says.
        if self.data.count(b"PK\x01\x02") > limits.zip_max_members:
            raise _reject(
                [
                    Problem(
                        self.name,
                        None,
                        "-",
                        f"holds more than {limits.zip_max_members} members "
                        "(CRIMEGRAPH_IMPORT_ZIP_MAX_MEMBERS)",
                    )
                ]
            )
        try:
            archive = zipfile.ZipFile(io.BytesIO(self.data))
        except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as exc:
            raise _reject([Problem(self.name, None, "-", f"not a readable zip: {exc}")]) from exc
        with archive:
            infos = sorted(
                (i for i in archive.infolist() if not i.is_dir() and _csv_member_name(i.filename)),
                key=lambda i: i.filename,
            )
            problems = _zip_problems(self.name, self.data, infos, limits)
            if problems:
                raise _reject(problems)
            total = [limits.zip_max_total_bytes]  # what all members may still unpack to

            def opener(info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
                allowed = min(
                    limits.zip_max_member_bytes,
                    max(ZIP_RATIO_FLOOR, int(limits.zip_max_ratio * max(info.compress_size, 1))),
                )
                shown = f"{self.name}/{info.filename}"
                return lambda: io.BufferedReader(
                    _BoundedMember(archive.open(info), shown, allowed, total), ZIP_READ_CHUNK
                )

            yield [CsvMember(i.filename, f"{self.name}/{i.filename}", opener(i)) for i in infos]


def detect_format(
    source: ImportSource, names: OptionNames | None = None, limits: ImportLimits | None = None
) -> str:
    """ftm, csv or snapshot, from the source's kind, name and first bytes."""
    names = names or OptionNames()
    source.check_zip_name()
    name = source.name.lower()
    if source.data is None or source.is_zip or name.endswith(".csv"):
        return "csv"
    if name.endswith(FTM_SUFFIXES):
        return "ftm"
    data = source.data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if data.startswith(b"{"):
        # A snapshot is one JSON object with a `nodes` list (often over many lines); FtM
        # is one object per line.
        end = data.find(b"\n")
        line = data[: end if end >= 0 else len(data)]
        if json_too_deep(line, (limits or ImportLimits()).max_json_depth) is not None:
            return "ftm"  # whichever it is, its reader reports line 1 as too deep
        try:
            first = json.loads(line)
        except ValueError:
            return "snapshot"
        return "snapshot" if isinstance(first, dict) and "nodes" in first else "ftm"
    choices = " or ".join(names.format_as(f) for f in FORMATS)
    raise InvalidInput(
        f"cannot tell the format of {source.name!r} from its name or first bytes; give {choices}",
        details=[{"field": "format", "message": f"one of {', '.join(FORMATS)}"}],
    )


# --- reading -----------------------------------------------------------------------------


def read_import(
    source: ImportSource | Path | bytes,
    model: Model,
    *,
    format: str | None = None,
    file_name: str | None = None,
    names: OptionNames | None = None,
    limits: ImportLimits | None = None,
) -> ParsedImport:
    """Parse a file into records with their locations; problems are collected, not raised
    (but a file beyond `limits`, a zip bomb say, is refused at once with ImportRejected).
    `names` spells the options in messages as the caller does (API parameters by default)."""
    names = names or OptionNames()
    limits = limits or ImportLimits()
    if isinstance(source, Path):
        source = ImportSource.from_path(source)
    elif isinstance(source, bytes):
        source = ImportSource(file_name or "upload", source)
    if source.data is not None and not source.data.strip():
        raise InvalidInput(
            f"{source.name!r} is empty: nothing to import",
            details=[{"field": "file", "message": "empty"}],
        )
    chosen = format or detect_format(source, names, limits)
    if chosen not in FORMATS:
        raise InvalidInput(
            f"unknown import format {chosen!r}; one of {', '.join(FORMATS)}",
            details=[{"field": "format", "message": f"one of {', '.join(FORMATS)}"}],
        )
    parsed = ParsedImport(chosen, source.name, source.sha256)
    if chosen == "csv":
        _read_csv(parsed, source, model, limits)
    elif source.data is None:
        parsed.problem(None, "-", f"a {chosen} import is one file, not a directory")
    elif not _is_utf8(source.data):
        # A zip or other binary file: one problem, not one per "line" of it.
        parsed.problem(
            None, "-", f"not valid UTF-8 JSON (is it a CSV zip? use {names.format_as('csv')})"
        )
    elif chosen == "ftm":
        _read_ftm(parsed, source.data, model, limits.max_json_depth)
    else:
        _read_snapshot(parsed, source.data, model, limits.max_json_depth)
    return parsed


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _concrete_label(labels: object, model: Model) -> tuple[str | None, str]:
    """The schema of a node given all its labels (Entity;Organization;CriminalNetwork)."""
    if isinstance(labels, str):
        labels = [labels]
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        return None, "must be a non-empty list of labels"
    unknown = sorted(set(labels) - set(model.spec.nodes))
    if unknown:
        return None, f"unknown label(s) {', '.join(unknown)} (graph/model/model.yaml)"
    label = max(labels, key=lambda x: len(model.labels_of(x)))
    if label not in model.node_labels or set(labels) - set(model.labels_of(label)):
        return None, (
            "must name one concrete schema with its ancestors, e.g. "
            + ";".join(model.labels_of(model.node_labels[-1]))
        )
    return label, ""


# FtM JSON lines ------------------------------------------------------------------------


class _FtmMapping:
    """FtM schemata and properties -> crimegraph labels, types and properties."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.labels: dict[str, str] = {}
        for label in model.node_labels:
            name = model.spec.nodes[label].ftm or FTM_FALLBACK.get(label)
            if name:
                self.labels.setdefault(name, label)
        self.types = {spec.ftm: name for name, spec in model.spec.relationships.items() if spec.ftm}
        self.properties = {ftm: cg for cg, ftm in FTM_PROPERTIES.items()}

    def label_for(self, schema: Schema, keywords: list[str]) -> str | None:
        """The closest mapped FtM schema decides; a keyword naming a crimegraph sub-label
        (crimegraph's own exports write them) refines it: Organization + CriminalNetwork."""
        fits = [
            (len(ftm_model.schemata[name].schemata), label)
            for name, label in self.labels.items()
            if schema.is_a(name)
        ]
        if not fits:
            return None
        label = max(fits)[1]
        refined = [k for k in keywords if k in self.model.node_labels and self.model.is_a(k, label)]
        if refined:
            label = max(refined, key=lambda x: len(self.model.labels_of(x)))
        return label


def _ftm_ends(schema: Schema) -> tuple[str, str] | None:
    if schema.edge and schema.edge_source and schema.edge_target:
        return schema.edge_source, schema.edge_target
    if schema.is_a("Mention"):
        return "document", "resolved"
    return None


def _read_ftm(parsed: ParsedImport, data: bytes, model: Model, max_depth: int) -> None:
    mapping = _FtmMapping(model)
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        base = Record(parsed.file_name, number, "properties.", {}, None, {})
        if json_too_deep(raw, max_depth) is not None:
            parsed.problem(base, "-", _too_deep_message(max_depth))
            continue
        try:
            item = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            parsed.problem(base, "-", f"not a JSON object: {exc}")
            continue
        if not isinstance(item, dict) or not isinstance(item.get("properties", {}), dict):
            parsed.problem(base, "-", "an FtM entity is an object with id, schema, properties")
            continue
        ext = item.get(FTM_EXTENSION)
        if ext is not None:
            _read_ftm_extension(parsed, base, item, ext, model)
        else:
            _read_ftm_plain(parsed, base, item, mapping)


def _read_ftm_extension(
    parsed: ParsedImport, base: Record, item: dict[str, Any], ext: object, model: Model
) -> None:
    """An entity crimegraph exported: its extension key holds the node or relationship."""
    key = FTM_EXTENSION
    fields = {"id": "id"}
    if not isinstance(ext, dict):
        parsed.problem(base, key, "must be an object")
        return
    props = ext.get("properties", {})
    if not isinstance(props, dict):
        parsed.problem(base, f"{key}.properties", "must be an object")
        props = {}
    if "type" in ext:
        fields.update(type=f"{key}.type", **{"from": f"{key}.from", "to": f"{key}.to"})
        rel = RelRecord(
            base.file, base.line, f"{key}.properties.", fields, item.get("id"), dict(props)
        )
        rel.type = _rel_type(parsed, rel, ext["type"], model)
        rel.from_id, rel.to_id = ext.get("from"), ext.get("to")
        parsed.relationships.append(rel)
        return
    fields["label"] = f"{key}.labels"
    node = NodeRecord(
        base.file, base.line, f"{key}.properties.", fields, item.get("id"), dict(props)
    )
    node.label, message = _concrete_label(ext.get("labels"), model)
    if node.label is None:
        parsed.problem(node, "label", message)
    node.reference = ext.get("reference") is True
    parsed.nodes.append(node)


def _rel_type(parsed: ParsedImport, record: Record, value: object, model: Model) -> str | None:
    if isinstance(value, str) and value in model.relationship_types:
        return value
    parsed.problem(
        record, "type", f"{value!r} is not a relationship type of graph/model/model.yaml"
    )
    return None


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def _read_ftm_plain(
    parsed: ParsedImport, base: Record, item: dict[str, Any], mapping: _FtmMapping
) -> None:
    """Plain FtM: schema -> label or type, FTM_PROPERTIES backwards, proof -> source_ids,
    summary -> quotes. Properties crimegraph has no place for are counted in `ignored`."""
    model = mapping.model
    schema_name = item.get("schema")
    schema = ftm_model.get(schema_name) if isinstance(schema_name, str) else None
    base.fields.update(
        id="id",
        label="schema",
        type="schema",
        source_ids="properties.proof",
        quote="properties.summary",
        quotes="properties.summary",
    )
    if schema is None:
        parsed.problem(base, "label", f"{schema_name!r} is not a FollowTheMoney schema")
        return
    values: dict[str, list[Any]] = {
        k: v if isinstance(v, list) else [v] for k, v in item.get("properties", {}).items()
    }
    proof, summary = values.pop("proof", []), values.pop("summary", [])
    ends = _ftm_ends(schema)
    record: NodeRecord | RelRecord
    if ends is not None:
        record = RelRecord(base.file, base.line, "properties.", base.fields, item.get("id"), {})
        if schema.name == FTM_LINK_SCHEMA:
            record.type = _rel_type(parsed, record, _first(values.pop(FTM_LINK_ROLE, [])), model)
            record.fields["type"] = f"properties.{FTM_LINK_ROLE}"
        elif schema.name in mapping.types:
            record.type = mapping.types[schema.name]
        else:
            parsed.problem(record, "type", f"FtM {schema.name} has no crimegraph relationship type")
        record.from_id, record.to_id = (
            _first(values.pop(ends[0], [])),
            _first(values.pop(ends[1], [])),
        )
        record.fields.update({"from": f"properties.{ends[0]}", "to": f"properties.{ends[1]}"})
        values.pop("name", None)  # a Mention repeats the resolved entity's name
        specs = model.relationship_properties(record.type) if record.type else {}
        parsed.relationships.append(record)
    else:
        node = NodeRecord(base.file, base.line, "properties.", base.fields, item.get("id"), {})
        keywords = [k for k in values.pop("keywords", []) if isinstance(k, str)]
        node.label = mapping.label_for(schema, keywords)
        if node.label is None:
            parsed.problem(node, "label", f"FtM {schema.name} has no crimegraph label")
        specs = model.node_properties(node.label) if node.label else {}
        if node.label == "Document":
            for name in ("title", "fileName"):  # a document's name: FtM often has none
                if "name" not in values and values.get(name):
                    values["name"] = [values[name][0]]
        parsed.nodes.append(node)
        record = node
    for ftm_name, given in values.items():
        name = mapping.properties.get(ftm_name, "")
        spec = specs.get(name)
        if spec is None or spec.derived:
            parsed.ignored[f"{schema.name}.{ftm_name}"] += 1
            continue
        record.fields[name] = f"properties.{ftm_name}"
        record.props[name] = _ftm_value(spec, given)
    if proof:
        record.props["source_ids"] = proof
    if summary:
        record.props["quotes"] = summary


def _ftm_value(spec: PropertySpec, values: list[Any]) -> Any:
    if spec.type == "list[string]":
        return values
    value = _first(values)
    if not isinstance(value, str):
        return value
    if spec.type == "date" and "T" in value:
        return value.split("T", 1)[0]  # FtM dates may carry a time; the model's do not
    if spec.type in ("integer", "float", "boolean"):
        return _convert_text(spec.type, value)
    return value


# snapshot JSON ------------------------------------------------------------------------


def _read_snapshot(parsed: ParsedImport, data: bytes, model: Model, max_depth: int) -> None:
    file_name = parsed.file_name
    deep = json_too_deep(data, max_depth)
    if deep is not None:
        line = data.count(b"\n", 0, deep) + 1
        parsed.problems.append(Problem(file_name, line, "-", _too_deep_message(max_depth)))
        return
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        parsed.problem(None, "-", f"not valid JSON: {exc}")
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        parsed.problem(None, "nodes", "a snapshot is an object with a `nodes` list")
        return
    for kind in ("relationships", "sources"):
        if not isinstance(doc.get(kind, []), list):
            parsed.problem(None, kind, "must be a list")
            doc[kind] = []
    for index, item in enumerate(doc["nodes"]):
        where = f"nodes[{index}]"
        item = item if isinstance(item, dict) else {}
        props = item.get("properties", {})
        fields = {"id": f"{where}.id", "label": f"{where}.labels"}
        node = NodeRecord(file_name, None, f"{where}.properties.", fields, item.get("id"), {})
        if not isinstance(props, dict):
            parsed.problem(node, "properties", "must be an object")
        else:
            node.props = dict(props)
        node.label, message = _concrete_label(item.get("labels"), model)
        if node.label is None:
            parsed.problem(node, "label", message)
        parsed.nodes.append(node)
    for index, item in enumerate(doc.get("relationships", [])):
        where = f"relationships[{index}]"
        item = item if isinstance(item, dict) else {}
        props = item.get("properties", {})
        fields = {
            "id": f"{where}.id",
            "type": f"{where}.type",
            "from": f"{where}.from_id",
            "to": f"{where}.to_id",
        }
        rel = RelRecord(file_name, None, f"{where}.properties.", fields, item.get("id"), {})
        if not isinstance(props, dict):
            parsed.problem(rel, "properties", "must be an object")
        else:
            rel.props = dict(props)
        rel.type = _rel_type(parsed, rel, item.get("type"), model)
        rel.from_id, rel.to_id = item.get("from_id"), item.get("to_id")
        parsed.relationships.append(rel)
    for index, item in enumerate(doc.get("sources", [])):
        where = f"sources[{index}]"
        item = item if isinstance(item, dict) else {}
        fields = {"id": f"{where}.id"}
        source = NodeRecord(file_name, None, f"{where}.", fields, item.get("id"), {})
        source.label, source.reference = "Document", True
        parsed.nodes.append(source)


# CSV ----------------------------------------------------------------------------------


def _convert_text(kind: str, text: str) -> Any:
    """A CSV cell as the model's type; the text itself when it does not parse (the model
    check then names what is wrong)."""
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean":
        lowered = text.strip().lower()
        return {"true": True, "false": False}.get(lowered, text)
    return text


def split_csv_list(text: str) -> list[str]:
    """Split a per-label CSV list cell on `|`; `\\|` is a literal bar, `\\\\` a backslash."""
    parts = _CSV_SPLIT.split(text)
    items: list[str] = []
    current = ""
    for index, part in enumerate(parts):
        # re.split keeps the captured backslashes that preceded each separator.
        current += part
        if index % 2 == 1 or index == len(parts) - 1:
            items.append(current)
            current = ""
    return [re.sub(r"\\(.)", r"\1", item) for item in items]


# What reading a member can meet besides bad CSV: bad UTF-8, a zip member that is
# corrupt, truncated, encrypted or packed by a method zipfile lacks.
_UNREADABLE = (
    UnicodeDecodeError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
)


def _csv_rows(parsed: ParsedImport, member: CsvMember) -> Iterator[tuple[int, list[str]]]:
    """Records with the line each starts on (a quoted cell may span lines), streamed from
    the member; a file that cannot be read to its end ends with a problem at that line."""
    # A document's text can exceed the csv module's default cell limit (128 KiB).
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    previous = 0
    try:
        with io.TextIOWrapper(member.open(), encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            for row in reader:
                yield previous + 1, row
                previous = reader.line_num
    except csv.Error as exc:
        parsed.problems.append(Problem(member.shown, previous + 1, "-", f"not valid CSV: {exc}"))
    except UnicodeDecodeError as exc:
        parsed.problems.append(Problem(member.shown, previous + 1, "-", f"not UTF-8 text: {exc}"))
    except _UNREADABLE as exc:
        parsed.problems.append(
            Problem(member.shown, previous + 1, "-", f"cannot be read to its end: {exc}")
        )


def _read_csv(
    parsed: ParsedImport, source: ImportSource, model: Model, limits: ImportLimits
) -> None:
    with source.csv_members(limits) as found:
        members = {PurePosixPath(m.name).name: m for m in found}  # by base name
        if "nodes.csv" in members:
            _read_admin_csv(parsed, members, model)
            return
        csv_files = {k: v for k, v in members.items() if k.lower().endswith(".csv")}
        if not csv_files:
            parsed.problem(None, "-", "no .csv file (one per label and per relationship type)")
        for base, member in sorted(csv_files.items()):
            stem = base[: -len(".csv")]
            if stem in model.node_labels:
                _read_label_csv(parsed, member, model, label=stem)
            elif stem in model.relationship_types:
                _read_label_csv(parsed, member, model, rel_type=stem)
            else:
                parsed.problems.append(
                    Problem(
                        member.shown,
                        None,
                        "-",
                        "the file name names no label or relationship type of "
                        f"graph/model/model.yaml ({_csv_name_hint(stem, model)})",
                    )
                )


def _csv_name_hint(stem: str, model: Model) -> str:
    """ "did you mean Person.csv?" for Persons.csv, "MEMBERSHIP.csv" for membership.csv."""
    known = {name.lower(): name for name in (*model.node_labels, *model.relationship_types)}
    close = difflib.get_close_matches(stem.lower(), list(known), n=2, cutoff=0.75)
    if not close:
        return "e.g. Person.csv, MEMBERSHIP.csv"
    return f"did you mean {' / '.join(f'{known[c]}.csv' for c in close)}?"


def _cell_value(spec: PropertySpec | None, text: str, delimiter: str | None = None) -> Any:
    """A cell of an untyped column, as the model's type: lists split on `|` (per-label
    files, with escapes) or on the neo4j-admin array delimiter."""
    if spec is None:
        return text
    if spec.type == "list[string]":
        return split_csv_list(text) if delimiter is None else text.split(delimiter)
    return _convert_text(spec.type, text)


def _read_label_csv(
    parsed: ParsedImport,
    member: CsvMember,
    model: Model,
    label: str | None = None,
    rel_type: str | None = None,
) -> None:
    shown = member.shown
    rows = _csv_rows(parsed, member)
    header_line, header = next(rows, (1, []))
    ends = ("id",) if label else ("id", "from", "to")
    missing = [c for c in (["id"] if label else ["from", "to"]) if c not in header]
    if missing:
        parsed.problems.append(Problem(shown, header_line, ",".join(missing), "missing column(s)"))
        return
    specs = {**model.provenance}
    specs.update(
        model.node_properties(label) if label else model.relationship_properties(str(rel_type))
    )
    for column in header:
        if (
            column not in specs
            and column not in ends
            and column != "grading"
            and not _derived(column, specs)
        ):
            parsed.problems.append(
                Problem(shown, header_line, column, f"not a property of {label or rel_type}")
            )
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        record: NodeRecord | RelRecord
        if label:
            record = NodeRecord(shown, line, "", {}, None, {}, label=label)
        else:
            record = RelRecord(shown, line, "", {}, None, {}, type=rel_type)
        if len(cells) != len(header):
            parsed.problem(record, "-", f"{len(cells)} cells; the header has {len(header)}")
            continue
        grading = None
        for column, cell in zip(header, cells, strict=True):
            if cell == "" or (column not in specs and column not in ends and column != "grading"):
                continue
            if column == "id":
                record.id = cell
            elif column in ("from", "to") and isinstance(record, RelRecord):
                setattr(record, f"{column}_id", cell)
            elif column == "grading":
                grading = cell
            else:
                record.props[column] = _cell_value(specs.get(column), cell)
        if grading is not None:
            _grading_cell(parsed, record, grading)
        if isinstance(record, RelRecord):
            if (
                record.id is None
                and isinstance(record.from_id, str)
                and isinstance(record.to_id, str)
            ):
                record.id = stable_id(str(rel_type).lower(), record.from_id, record.to_id)
            parsed.relationships.append(record)
        else:
            parsed.nodes.append(record)


def _grading_cell(parsed: ParsedImport, record: Record, cell: str) -> None:
    grading = parse_grading(cell.strip().upper())
    if grading is None:
        parsed.problem(record, "grading", "must be an Admiralty code: a letter A-F then 1-6")
        return
    for name, value in zip(("reliability", "credibility"), grading, strict=True):
        if record.props.setdefault(name, value) != value:
            parsed.problem(record, "grading", f"disagrees with the {name} column")


def _derived(name: str, specs: dict[str, PropertySpec]) -> bool:
    """search_text, and `<date>_precision` / `<date>_day`: recomputed, never read."""
    if name in SYSTEM_DERIVED:
        return True
    for suffix in ("_precision", "_day"):
        base = name.removesuffix(suffix)
        if base != name and base in specs and specs[base].type == "date":
            return True
    return False


def _admin_delimiter(members: dict[str, CsvMember]) -> str:
    readme = ""
    if "README.txt" in members:
        try:
            with members["README.txt"].open() as stream:
                readme = stream.read(README_BYTES).decode("utf-8", errors="replace")
        except _UNREADABLE:
            pass  # the default delimiter; a README that cannot be read holds no other
    match = _ADMIN_DELIMITER.search(readme)
    if match:
        return match.group(1) or chr(int(match.group(2), 16))
    return ";"


def _admin_column(header: str) -> tuple[str, str, bool]:
    """`aliases:string[]` -> (aliases, string, True); `:LABEL` -> (:LABEL, "", False)."""
    if header.startswith(":"):
        return header, "", False
    name, _, kind = header.partition(":")
    if name and kind.startswith("ID"):
        return ":ID", "", False
    array = kind.endswith("[]")
    return name, kind.removesuffix("[]").lower(), array


def _admin_value(kind: str, array: bool, text: str, delimiter: str) -> Any:
    def one(item: str) -> Any:
        if kind == "string":  # graph.formats.export guarded each element of a text array
            return unguard_cell(item)
        convert = _ADMIN_TYPES.get(kind)
        if convert is not None:
            try:
                return convert(item)
            except ValueError:
                return item
        if kind == "boolean":
            return _convert_text("boolean", item)
        return item

    return [one(item) for item in text.split(delimiter)] if array else one(text)


def _read_admin_csv(parsed: ParsedImport, members: dict[str, CsvMember], model: Model) -> None:
    """The neo4j-admin layout graph.formats.export.to_admin_csv writes: nodes.csv (`id:ID`,
    `:LABEL`, typed columns), relationships.csv (`:START_ID`, `:END_ID`, `:TYPE`, `id`).
    Typed columns convert by their type; untyped ones by the model's type."""
    delimiter = _admin_delimiter(members)
    for base, kind in (("nodes.csv", "node"), ("relationships.csv", "rel")):
        if base not in members:
            continue
        shown = members[base].shown
        rows = _csv_rows(parsed, members[base])
        header_line, header = next(rows, (1, []))
        columns = [_admin_column(h) for h in header]
        names = [c[0] for c in columns]
        needed = [":ID", ":LABEL"] if kind == "node" else [":START_ID", ":END_ID", ":TYPE"]
        missing = [n for n in needed if n not in names]
        if missing:
            parsed.problems.append(
                Problem(shown, header_line, ",".join(missing), "missing column(s)")
            )
            continue
        fields = {name: h for (name, _, _), h in zip(columns, header, strict=True)}
        fields.update(
            {"id": fields[":ID"], "label": ":LABEL"}
            if kind == "node"
            else {"from": ":START_ID", "to": ":END_ID", "type": ":TYPE"}
        )
        for line, cells in rows:
            if not any(c.strip() for c in cells):
                continue
            record: NodeRecord | RelRecord = (
                NodeRecord(shown, line, "", fields, None, {})
                if kind == "node"
                else RelRecord(shown, line, "", fields, None, {})
            )
            if len(cells) != len(header):
                parsed.problem(record, "-", f"{len(cells)} cells; the header has {len(header)}")
                continue
            given = {name: cell for name, cell in zip(names, cells, strict=True) if cell != ""}
            for end in (":ID", ":START_ID", ":END_ID", "id"):  # ids are text cells too
                if end in given and (end != "id" or kind == "rel"):
                    given[end] = unguard_cell(given[end])
            if isinstance(record, NodeRecord):
                record.id = given.get(":ID")
                record.label, message = _concrete_label(
                    given.get(":LABEL", "").split(delimiter), model
                )
                if record.label is None:
                    parsed.problem(record, "label", message)
                specs = model.node_properties(record.label) if record.label else {}
            else:
                record.id = given.get("id")
                record.from_id, record.to_id = given.get(":START_ID"), given.get(":END_ID")
                record.type = _rel_type(parsed, record, given.get(":TYPE"), model)
                specs = model.relationship_properties(record.type) if record.type else {}
            specs = {**model.provenance, **specs}
            for (name, col_kind, array), cell in zip(columns, cells, strict=True):
                if cell == "" or name.startswith(":") or (kind == "rel" and name == "id"):
                    continue
                if col_kind in ("", "string") and not array:
                    # A text column: graph.formats.export guarded the whole cell.
                    record.props[name] = _cell_value(specs.get(name), unguard_cell(cell), delimiter)
                else:
                    record.props[name] = _admin_value(col_kind, array, cell, delimiter)
            if isinstance(record, NodeRecord):
                parsed.nodes.append(record)
            else:
                parsed.relationships.append(record)


# --- validation --------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What the write transaction does, once every check has passed."""

    dataset_id: str
    new_nodes: list[dict[str, Any]] = field(default_factory=list)
    known_nodes: list[dict[str, Any]] = field(default_factory=list)  # provenance lists only
    new_relationships: list[dict[str, Any]] = field(default_factory=list)
    known_relationships: list[dict[str, Any]] = field(default_factory=list)

    @property
    def nodes(self) -> int:
        return len(self.new_nodes) + len(self.known_nodes)

    @property
    def relationships(self) -> int:
        return len(self.new_relationships) + len(self.known_relationships)


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _text_size(props: dict[str, Any]) -> int:
    """Characters of a row's text values: what makes a Bolt message large."""
    size = 64
    for value in props.values():
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, list):
            size += sum(len(v) for v in value if isinstance(v, str))
    return size


def _write_batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Batches of at most WRITE_BATCH rows and WRITE_BATCH_CHARS characters of text: a
    Bolt message over 16 MiB is refused by ArcadeDB, and 5,000 documents with their text
    exceed it (benchmarks/README.md, ingest at M)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        weight = _text_size(row.get("props") or {})
        if batch and (len(batch) >= WRITE_BATCH or size + weight > WRITE_BATCH_CHARS):
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += weight
    if batch:
        yield batch


def _stored_nodes(store: Store, ids: set[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for batch in _batches(sorted(ids), LOOKUP_BATCH):
        for row in store.run("entities_with_properties", {"ids": batch}):
            found[row["id"]] = row
    return found


def _stored_relationships(store: Store, ids: set[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    if not ids:
        return found
    for batch in _batches(sorted(ids), REL_LOOKUP_BATCH):
        for row in store.run("relationships_by_ids", {"wanted": dict.fromkeys(batch, True)}):
            found.setdefault(row["id"], row)
    return found


def _label_of(labels: list[str], model: Model) -> str | None:
    known = [x for x in labels if x in model.node_labels]
    return max(known, key=lambda x: len(model.labels_of(x))) if known else None


def _shown(value: Any) -> str:
    """A value for a message: strings quoted, others as JSON, at most about 80 characters."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:79] + "…")
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


class _Validator:
    """Checks records against the model, the file and the graph; builds the plan."""

    def __init__(
        self,
        parsed: ParsedImport,
        model: Model,
        store: Store,
        options: ImportOptions,
        dataset_id: str,
    ) -> None:
        self.parsed = parsed
        self.model = model
        self.store = store
        self.options = options
        self.plan = ImportPlan(dataset_id)
        self.file_nodes: dict[str, NodeRecord] = {}  # id -> record carried by the file
        self.references: dict[str, Record] = {}
        self.stored: dict[str, Row] = {}
        self.stored_rels: dict[str, Row] = {}
        self.merged_into: dict[str, str] = {}  # merged-away entity id -> live entity id

    def problem(self, record: Record, name: str, message: str) -> None:
        self.parsed.problem(record, name, message)

    def _id(self, record: Record, seen: dict[str, Record], kind: str) -> str | None:
        value = record.id
        if not isinstance(value, str) or not value.strip():
            self.problem(record, "id", "is required: a non-empty string")
            return None
        if value != value.strip() or len(value) > MAX_ID_LENGTH or not value.isprintable():
            self.problem(
                record, "id", f"must be printable, without outer spaces, at most {MAX_ID_LENGTH}"
            )
            return None
        first = seen.get(value)
        if first is not None:
            where = f"line {first.line}" if first.line is not None else first.field("id")
            self.problem(record, "id", f"duplicate {kind} id {value!r} (first at {where})")
            return None
        seen[value] = record
        return value

    def run(self) -> ImportPlan:
        parsed = self.parsed
        seen_nodes: dict[str, Record] = {}
        node_ids: list[tuple[NodeRecord, str]] = []
        for node in parsed.nodes:
            if node.reference:
                continue
            node_id = self._id(node, seen_nodes, "node")
            if node_id is not None and node.label is not None:
                self.file_nodes[node_id] = node
                node_ids.append((node, node_id))
        for node in parsed.nodes:
            # A cited document the file does not carry (a snapshot's sources): the graph
            # must hold it, unless the file carries it after all.
            if node.reference and node.id not in seen_nodes:
                ref_id = self._id(node, self.references, "source")
                if ref_id is not None:
                    seen_nodes[ref_id] = node
        wanted = set(seen_nodes)
        for rel in parsed.relationships:
            wanted.update(x for x in (rel.from_id, rel.to_id) if isinstance(x, str))
        for record in (*parsed.nodes, *parsed.relationships):
            sources = record.props.get("source_ids")
            if isinstance(sources, list):
                wanted.update(s for s in sources if isinstance(s, str))
        if self.options.source_document:
            wanted.add(self.options.source_document)
        self.stored = _stored_nodes(self.store, wanted)
        self._follow_merges()
        if self.options.source_document and not self._is_document(self.options.source_document):
            raise InvalidInput(
                f"{self.options.names.source_document} {self.options.source_document!r} is no "
                "Document in the file or the graph",
                details=[{"field": "source_document", "message": "an existing Document id"}],
            )
        for ref_id, ref in self.references.items():
            row = self.stored.get(ref_id)
            if row is None or "Document" not in row["labels"]:
                self.problem(ref, "id", f"cites document {ref_id!r}, which is not in the graph")
        for node, node_id in node_ids:
            self._node(node, node_id)
        seen_rels: dict[str, Record] = {}
        rel_ids = []
        for rel in parsed.relationships:
            rel_id = self._id(rel, seen_rels, "relationship")
            if rel_id is not None:
                rel_ids.append((rel, rel_id))
        self.stored_rels = _stored_relationships(self.store, {i for _, i in rel_ids})
        for rel, rel_id in rel_ids:
            self._relationship(rel, rel_id)
        return self.plan

    def _follow_merges(self) -> None:
        """Relationships that name an entity an analyst merged into another attach to that
        other one (graph.growth.resolution keeps the merged-away node without relationships);
        otherwise the fact would land on a node no traversal reaches."""
        pending = {i for i, row in self.stored.items() if row["properties"].get("merged_into")}
        for _ in range(MAX_MERGE_CHAIN):
            targets = {
                str(self.stored[i]["properties"]["merged_into"])
                for i in pending
                if self.stored[i]["properties"].get("merged_into")
            }
            missing = targets - self.stored.keys()
            if not missing:
                break
            self.stored.update(_stored_nodes(self.store, missing))
            pending = missing
        for node_id, row in self.stored.items():
            target, hops = row["properties"].get("merged_into"), 0
            while target and target in self.stored and hops < MAX_MERGE_CHAIN:
                self.merged_into[node_id] = str(target)
                target, hops = self.stored[str(target)]["properties"].get("merged_into"), hops + 1

    # -- shared checks --

    def _is_document(self, doc_id: str) -> bool:
        node = self.file_nodes.get(doc_id)
        if node is not None:
            return node.label == "Document"
        row = self.stored.get(doc_id)
        return row is not None and "Document" in row["labels"]

    def _title(self, doc_id: str) -> str | None:
        node = self.file_nodes.get(doc_id)
        props = (
            node.props
            if node is not None
            else (self.stored.get(doc_id) or {}).get("properties", {})
        )
        title = props.get("title") or props.get("name")
        return title if isinstance(title, str) and title.strip() else None

    def _properties(
        self, record: Record, specs: dict[str, PropertySpec], owner: str
    ) -> dict[str, Any]:
        """Model properties (provenance aside) in their stored form."""
        props: dict[str, Any] = {}
        for name, value in record.props.items():
            if name in self.model.provenance or value in (None, []) or _derived(name, specs):
                continue
            if name == "id":
                if value != record.id:
                    self.problem(record, name, "differs from the record's id")
                continue
            spec = specs.get(name)
            if spec is None:
                self.problem(record, name, f"not a property of {owner} in graph/model/model.yaml")
                continue
            try:
                store_value(name, check_value(spec, value), props)
            except ValueError as exc:
                self.problem(record, name, str(exc))
        return props

    def _required(
        self, record: Record, specs: dict[str, PropertySpec], props: dict[str, Any], owner: str
    ) -> None:
        for name, spec in specs.items():
            if spec.required and not spec.derived and name != "id" and name not in props:
                self.problem(record, name, f"is required for {owner}")

    def _provenance(
        self,
        record: Record,
        own_id: str,
        *,
        document: bool = False,
        default_source: str | None = None,
    ) -> dict[str, Any]:
        """source_ids, quote, quotes, grading, confidence and dataset_ids of a record, with
        the import's defaults where the file is silent (docs/import-format.md)."""
        given: dict[str, Any] = {}
        for name, spec in self.model.provenance.items():
            value = record.props.get(name)
            if value is None or value == []:
                continue
            try:
                given[name] = check_value(spec, value)
            except ValueError as exc:
                self.problem(record, name, str(exc))
        sources: list[str] = list(dict.fromkeys(given.get("source_ids", [])))
        fallback = bool(self.options.source_document) or document or bool(default_source)
        if not sources:
            default = own_id if document else default_source or self.options.source_document
            if default is None:
                self.problem(
                    record,
                    "source_ids",
                    "every record cites its sources (FtM: proof); or give "
                    f"{self.options.names.source_document}",
                )
                return {}
            sources = [default]
        for source_id in sources:
            if source_id != own_id and not self._is_document(source_id):
                self.problem(
                    record, "source_ids", f"{source_id!r} is no Document in the file or the graph"
                )
        quotes: list[str] = list(dict.fromkeys(given.get("quotes", [])))
        quote = given.get("quote") or _first(quotes)
        if quote is None and fallback:
            quote = self._title(sources[0]) if sources[0] != own_id else None
            quote = quote or (self._title(own_id) if document else None)
        if quote is None:
            self.problem(
                record,
                "quote",
                "every record quotes its source (FtM: summary); or give "
                f"{self.options.names.source_document}",
            )
            return {}
        grading = parse_grading(self.options.grading) or ("F", 6)
        return {
            "source_ids": sources,
            "quote": quote,
            "quotes": quotes or [quote],
            "confidence": given.get("confidence", self.options.confidence),
            "reliability": given.get("reliability", grading[0]),
            "credibility": given.get("credibility", grading[1]),
            "dataset_ids": list(
                dict.fromkeys([*given.get("dataset_ids", []), self.plan.dataset_id])
            ),
            **({"handling": given["handling"]} if "handling" in given else {}),
        }

    def _same_handling(
        self, record: Record, record_id: str, provenance: dict[str, Any], stored: dict[str, Any]
    ) -> bool:
        """An import does not change who may see a stored record: a file that gives it
        another handling code (or one where it has none) is refused."""
        if "handling" not in provenance or provenance["handling"] == stored.get("handling"):
            return True
        self.problem(
            record,
            "handling",
            f"id {record_id!r} exists with handling {_shown(stored.get('handling'))}; "
            f"the file says {_shown(provenance['handling'])}",
        )
        return False

    def _compare(
        self,
        record: Record,
        record_id: str,
        props: dict[str, Any],
        stored: dict[str, Any],
        specs: dict[str, PropertySpec],
    ) -> bool:
        """A stored record may be imported again only with the same facts (the properties
        the file gives; derived ones aside); True if so."""
        same = True
        for name, value in props.items():
            if name not in specs or specs[name].derived:
                continue
            if name not in stored:
                self.problem(
                    record,
                    name,
                    f"id {record_id!r} exists without {name}; the file says {_shown(value)}",
                )
                same = False
            elif stored[name] != value:
                self.problem(
                    record,
                    name,
                    f"id {record_id!r} exists with {name} {_shown(stored[name])}; "
                    f"the file says {_shown(value)}",
                )
                same = False
        return same

    @staticmethod
    def _union(stored: dict[str, Any], provenance: dict[str, Any]) -> dict[str, Any]:
        merged = {}
        for name in PROVENANCE_LISTS:
            old = stored.get(name) or []
            merged[name] = list(dict.fromkeys([*old, *provenance.get(name, [])]))
        return merged

    # -- nodes and relationships --

    def _node(self, node: NodeRecord, node_id: str) -> None:
        label = str(node.label)
        specs = self.model.node_properties(label)
        props = self._properties(node, specs, label)
        if (
            label == "Document"
            and "content_sha256" not in props
            and isinstance(props.get("text"), str)
        ):
            props["content_sha256"] = hashlib.sha256(props["text"].encode("utf-8")).hexdigest()
        provenance = self._provenance(node, node_id, document=label == "Document")
        stored = self.stored.get(node_id)
        if stored is not None:
            expected = set(self.model.labels_of(label))
            if set(stored["labels"]) != expected:
                shown = _label_of(stored["labels"], self.model) or sorted(stored["labels"])
                self.problem(
                    node, "label", f"id {node_id!r} exists as {shown}; the file says {label}"
                )
            elif (
                self._compare(node, node_id, props, stored["properties"], specs)
                and self._same_handling(node, node_id, provenance, stored["properties"])
                and provenance
            ):
                self.plan.known_nodes.append(
                    {"id": node_id, "props": self._union(stored["properties"], provenance)}
                )
            return
        self._required(node, specs, props, label)
        if not provenance:
            return
        name = props.get("name")
        aliases = props.get("aliases")
        props.update(
            provenance,
            id=node_id,
            search_text=search_text(
                name if isinstance(name, str) else "",
                aliases if isinstance(aliases, list) else None,
            ),
        )
        self.plan.new_nodes.append({"id": node_id, "label": label, "props": props})

    def _end(self, rel: RelRecord, side: str) -> tuple[str, str] | None:
        value = rel.from_id if side == "from" else rel.to_id
        if not isinstance(value, str) or not value:
            self.problem(rel, side, "is required: the id of an entity")
            return None
        value = self.merged_into.get(value, value)
        node = self.file_nodes.get(value)
        if node is not None and node.label is not None and value not in self.stored:
            return value, node.label
        stored = self.stored.get(value)
        label = _label_of(stored["labels"], self.model) if stored is not None else None
        if label is None:
            self.problem(rel, side, f"no entity {value!r} in the file or the graph")
            return None
        return value, label

    def _relationship(self, rel: RelRecord, rel_id: str) -> None:
        ends = [self._end(rel, side) for side in ("from", "to")]
        if rel.type is None:
            return
        specs = self.model.relationship_properties(rel.type)
        props = self._properties(rel, specs, rel.type)
        start, end = ends
        default = start[0] if rel.type == "MENTIONS" and start is not None else None
        provenance = self._provenance(rel, rel_id, default_source=default)
        if start is None or end is None:
            return
        if not self.model.endpoint_allowed(rel.type, start[1], end[1]):
            self.problem(
                rel,
                "type",
                f"{rel.type} does not go from {start[1]} to {end[1]} in graph/model/model.yaml",
            )
            return
        stored = self.stored_rels.get(rel_id)
        if stored is not None:
            said = (rel.type, start[0], end[0])
            found = (stored["type"], stored["from_id"], stored["to_id"])
            if said != found:
                self.problem(
                    rel,
                    "id",
                    f"id {rel_id!r} exists as {found[0]} from {found[1]!r} to {found[2]!r}; "
                    f"the file says {said[0]} from {said[1]!r} to {said[2]!r}",
                )
            elif (
                self._compare(rel, rel_id, props, stored["properties"], specs)
                and self._same_handling(rel, rel_id, provenance, stored["properties"])
                and provenance
            ):
                self.plan.known_relationships.append(
                    {
                        "id": rel_id,
                        "from": start[0],
                        "to": end[0],
                        "props": self._union(stored["properties"], provenance),
                    }
                )
            return
        self._required(rel, specs, props, rel.type)
        if not provenance:
            return
        props.update(provenance, id=rel_id)
        self.plan.new_relationships.append(
            {"id": rel_id, "type": rel.type, "from": start[0], "to": end[0], "props": props}
        )


def _reject(problems: list[Problem]) -> ImportRejected:
    # In file order (reading finds some problems, validation the rest).
    problems = sorted(problems, key=lambda p: (p.file, -1 if p.line is None else p.line))
    shown = problems[:MAX_REPORTED_PROBLEMS]
    more = len(problems) - len(shown)
    message = f"import rejected, nothing was written: {len(problems)} problem(s)\n" + "\n".join(
        map(str, shown)
    )
    if more:
        message += f"\n... and {more} more"
    return ImportRejected(message, details=[p.detail() for p in shown])


def validate_import(
    parsed: ParsedImport, model: Model, store: Store, options: ImportOptions, dataset_id: str
) -> ImportPlan:
    """Check every record; raise ImportRejected listing the problems (up to a bound)."""
    # The check must know every stored id, restricted ones too, whoever imports.
    with visibility.unrestricted():
        plan = _Validator(parsed, model, store, options, dataset_id).run()
    if parsed.problems:
        raise _reject(parsed.problems)
    if not plan.nodes and not plan.relationships:
        raise _reject([Problem(parsed.file_name, None, "-", "holds no node or relationship")])
    return plan


# --- writing -----------------------------------------------------------------------------


def dataset_id_for(sha256: str, options: ImportOptions) -> str:
    """Same file and options, same dataset: this is what makes an import idempotent."""
    key = options.key()
    return stable_id("dataset", sha256[:16], *([key] if key else []))


def _dataset_view(row: Row) -> dict[str, Any]:
    """A Dataset record as callers see it: `options` (stored as JSON text) an object."""
    view = dict(row)
    options = view.get("options")
    view["options"] = json.loads(options) if isinstance(options, str) and options else {}
    return view


def get_dataset(store: Store, dataset_id: str) -> dict[str, Any]:
    rows = store.run("dataset_by_id", {"dataset": dataset_id})
    if not rows:
        raise NotFound(f"no dataset with id {dataset_id!r}")
    return _dataset_view(rows[0])


def list_datasets(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    return [_dataset_view(row) for row in store.run("datasets", {"limit": limit})]


def _by_query(query: str, rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows by the generated query that creates them, in the order of first appearance."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if query == "create_nodes":
            name = create_nodes_query(row["label"])
        else:
            name = create_relationships_query(row["type"])
        grouped.setdefault(name, []).append(row)
    return grouped


def write_plan(
    store: Store,
    plan: ImportPlan,
    record: dict[str, Any],
    progress: Progress | None = None,
    timeout: float | None = None,
) -> None:
    """Everything in ONE transaction: the Dataset record, new nodes (CREATE: they were
    checked absent), provenance of stored nodes, then relationships (those checked absent
    are created only if still absent, their ends locked: create_relationships_<type>). A
    step that does not reach every row it was given rolls the whole import back with
    Conflict, as does a write that meets concurrent writers (WriteConflict, or ConstraintViolation for an id created meanwhile):
    the plan is stale, and run_import validates again."""
    steps = [WriteStep("save_dataset", record)]
    kinds = ["dataset"]
    for query, rows, kind in (
        ("create_nodes", plan.new_nodes, "nodes"),
        ("add_node_provenance", plan.known_nodes, "nodes"),
        ("create_relationships", plan.new_relationships, "relationships"),
        ("add_relationship_provenance", plan.known_relationships, "relationships"),
    ):
        if query in ("create_nodes", "create_relationships"):
            # One query per schema or type (graph.db.codegen), each with its own batches.
            for name, typed in _by_query(query, rows).items():
                for batch in _write_batches(typed):
                    steps.append(WriteStep(name, {"rows": batch}))
                    kinds.append(kind)
            continue
        for batch in _write_batches(rows):
            steps.append(WriteStep(query, {"rows": batch}))
            kinds.append(kind)
    done = {"nodes": 0, "relationships": 0}
    reported: set[str] = set()

    def report(index: int, step: WriteStep, result: list[Row]) -> None:
        kind = kinds[index]
        if kind == "dataset":
            # The first step: a transaction run again (after a lost connection) counts
            # from zero, and says nothing it said already.
            done.update(nodes=0, relationships=0)
            return
        sent = len(step.params["rows"])
        written = result[0]["rows"] if result else 0
        if written != sent:
            # Raising inside the transaction function rolls the whole import back.
            raise Conflict(
                f"{sent - written} {kind} changed in the graph during the import; "
                "nothing was written, try again"
            )
        done[kind] += sent
        message = (
            f"wrote {done['nodes']}/{plan.nodes} nodes, "
            f"{done['relationships']}/{plan.relationships} relationships"
        )
        if progress is not None and message not in reported:
            reported.add(message)
            progress(message)

    # No blind retries by the store: a transaction that lost to another writer was planned
    # on a graph that has changed since.
    store.write_transaction(
        steps, progress=report, label="import", timeout=timeout, conflict_retries=0
    )


def run_import(
    store: Store,
    model: Model,
    source: ImportSource | Path | bytes,
    *,
    imported_by: str | None = None,
    format: str | None = None,
    file_name: str | None = None,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    timeout: float | None = None,
    limits: ImportLimits | None = None,
) -> ImportResult:
    """Import a file as one batch: read, validate in full, write all or nothing.

    The same file (and options) imported again writes nothing and returns the stored
    Dataset with created=False. `imported_by` defaults to the local user (`cli:USER`)."""
    started = time.monotonic()
    options = (options or ImportOptions()).checked()
    if isinstance(source, Path):
        source = ImportSource.from_path(source)
    elif isinstance(source, bytes):
        source = ImportSource(file_name or "upload", source)
    dataset_id = dataset_id_for(source.sha256, options)
    existing = store.run("dataset_by_id", {"dataset": dataset_id})
    if existing:
        return ImportResult(_dataset_view(existing[0]), created=False)
    parsed = read_import(source, model, format=format, names=options.names, limits=limits)
    read_done = time.monotonic()
    if progress is not None:
        progress(f"read {len(parsed.nodes)} node and {len(parsed.relationships)} relationship rows")
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        validating = time.monotonic()
        plan = validate_import(parsed, model, store, options, dataset_id)
        validated = time.monotonic()
        if progress is not None:
            progress(
                f"validated: {len(plan.new_nodes)} new nodes, {len(plan.known_nodes)} already "
                f"stored; {len(plan.new_relationships)} new relationships, "
                f"{len(plan.known_relationships)} already stored"
            )
        record = {
            "id": dataset_id,
            "file_name": source.name,
            "format": parsed.format,
            "sha256": source.sha256,
            "nodes": plan.nodes,
            "relationships": plan.relationships,
            "new_nodes": len(plan.new_nodes),
            "new_relationships": len(plan.new_relationships),
            "imported_by": imported_by or local_user(),
            "imported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "options": options.key() or "{}",
        }
        try:
            write_plan(store, plan, record, progress, timeout)
            break
        except (Conflict, ConstraintViolation) as exc:
            # Another writer changed what the plan was built on (created an id it was
            # about to create, say): look at the graph again. The rows another import
            # stored meanwhile are then found stored and compared like any others.
            if attempt == IMPORT_ATTEMPTS:
                raise
            if progress is not None:
                progress(f"{exc.message}; validating again")
            time.sleep(random.uniform(0, IMPORT_BACKOFF * 2**attempt))
            existing = store.run("dataset_by_id", {"dataset": dataset_id})
            if existing:  # the same file, imported meanwhile by another client
                return ImportResult(_dataset_view(existing[0]), created=False)
    finished = time.monotonic()
    return ImportResult(
        get_dataset(store, dataset_id),
        created=True,
        ignored=dict(sorted(parsed.ignored.items())),
        seconds={
            "read": round(read_done - started, 3),
            "validate": round(validated - validating, 3),
            "write": round(finished - validated, 3),
            "total": round(finished - started, 3),
        },
    )


# --- export ------------------------------------------------------------------------------

EXPORT_FORMATS = ("ftm", "csv")


def _node_item(row: Row) -> dict[str, Any]:
    props = {k: v for k, v in sorted(row["properties"].items()) if k not in SYSTEM_DERIVED}
    return {"id": row["id"], "labels": sorted(row["labels"]), "properties": props}


def export_graph(store: Store, dataset: str | None = None) -> Snapshot:
    """The whole graph (entities and the relationships between them, no system records),
    or one dataset: its nodes and relationships, plus the nodes those relationships end at
    and the documents any of them cite, so the export imports on its own into an empty
    graph. Snapshot-shaped (docs/snapshot-format.md), for graph.formats.export's writers."""
    if dataset:
        get_dataset(store, dataset)
    # Ids first (one scan), then records by id through the index: paging a whole graph in
    # id order would sort it once per page.
    ids = sorted(row["id"] for row in store.run("entity_ids", {"dataset": dataset or ""}))
    nodes = {row["id"]: _node_item(row) for row in _stored_nodes(store, set(ids)).values()}
    # A dataset's relationships may start at entities outside it: look from every entity.
    starts = (
        ids if not dataset else sorted(r["id"] for r in store.run("entity_ids", {"dataset": ""}))
    )
    relationships = [
        {
            "id": row["id"],
            "type": row["type"],
            "from_id": row["from_id"],
            "to_id": row["to_id"],
            "properties": dict(sorted(row["properties"].items())),
        }
        for batch in _batches(starts, EXPORT_BATCH)
        for row in store.run("relationships_from", {"ids": batch, "dataset": dataset or ""})
    ]
    if dataset:
        # Two rounds: the ends of relationships, then every document cited by anything.
        ends = {r[side] for r in relationships for side in ("from_id", "to_id")}
        for row in _stored_nodes(store, ends - set(nodes)).values():
            nodes[row["id"]] = _node_item(row)
        cited = {
            s
            for item in (*nodes.values(), *relationships)
            for s in item["properties"].get("source_ids") or []
        }
        for row in _stored_nodes(store, cited - set(nodes)).values():
            nodes[row["id"]] = _node_item(row)
    sources = [
        {"id": n["id"], **{k: n["properties"].get(k) for k in ("publisher", "url")}}
        for n in nodes.values()
        if "Document" in n["labels"]
    ]
    return {
        "format": GRAPH_EXPORT_FORMAT,
        "id": dataset or "crimegraph-graph",
        "dataset": dataset or None,
        "title": f"dataset {dataset}" if dataset else "the whole graph",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "engine": store.engine,
        "nodes": sorted(nodes.values(), key=lambda n: n["id"]),
        "relationships": sorted(relationships, key=lambda r: r["id"]),
        "sources": sorted(sources, key=lambda s: s["id"]),
        "content_hash": None,
    }


def render_export(snapshot: Snapshot, format: str, model: Model) -> tuple[bytes, str, str]:
    """(content, media type, file name): FtM JSON lines, or the neo4j-admin CSV zip."""
    if format == "ftm":
        return (
            to_ftm(snapshot, model).encode("utf-8"),
            "application/x-ndjson",
            f"{snapshot['id']}.ftm.jsonl",
        )
    if format == "csv":
        return to_admin_csv_zip(snapshot), "application/zip", f"{snapshot['id']}.csv.zip"
    raise InvalidInput(
        f"unknown export format {format!r}; one of {', '.join(EXPORT_FORMATS)}",
        details=[{"field": "format", "message": f"one of {', '.join(EXPORT_FORMATS)}"}],
    )


def write_export(snapshot: Snapshot, format: str, output: Path, model: Model) -> list[Path]:
    """Write an export to a file; CSV to a directory unless the path ends with .zip."""
    if format == "csv" and output.suffix.lower() != ".zip":
        output.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in sorted(to_admin_csv(snapshot).items()):
            (output / name).write_text(text, encoding="utf-8")
            written.append(output / name)
        return written
    content, _, _ = render_export(snapshot, format, model)
    output.write_bytes(content)
    return [output]

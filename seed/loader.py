"""The seed loader: reviewable YAML data files -> validated rows -> one write transaction.

Everything is checked before anything is written: each record against the model, each quote
against the text of the document it cites (verbatim, whitespace aside), each relationship's
endpoints against the model. A bad file is refused with file, row, line and field named, and
the database is left as it was. Writing is idempotent (`UNWIND ... MERGE` on stable ids).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graph.core.errors import SeedDataError
from graph.core.text import collapse_whitespace, search_text, stable_id
from graph.db.store import Store, WriteStep
from graph.model.schema import Model, PropertySpec, check_value
from graph.model.schema import parse_grading as _grading
from graph.model.schema import store_value as _store_value

BATCH_SIZE = 500
# Lists a merge (graph.growth.resolution) grows on the entity that absorbs another.
MERGED_LISTS = ("aliases", "source_ids", "quotes", "dataset_ids")
MAX_REPORTED_ERRORS = 50
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_RECORD_FIELDS = {
    "documents": {
        "key",
        "file",
        "name",
        "title",
        "publisher",
        "cites",
        "url",
        "published",
        "retrieved",
        "language",
        "grading",
        "confidence",
        "description",
        "aliases",
        "handling",
    },
    "entities": {
        "key",
        "label",
        "name",
        "aliases",
        "description",
        "properties",
        "sources",
        "confidence",
        "grading",
        "handling",
    },
    "relationships": {
        "type",
        "from",
        "to",
        "key",
        "properties",
        "sources",
        "confidence",
        "grading",
        "handling",
    },
}


@dataclass
class Problem:
    file: str
    row: int
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        # Row 0 is the file itself (it does not parse, or a section is wrong), not a record.
        where = f"row {self.row} (line {self.line})" if self.row else f"line {self.line}"
        return f"{self.file}: {where}: {self.field}: {self.message}"


@dataclass
class Record:
    """One item of a data file, with where it came from."""

    kind: str
    data: dict[str, Any]
    file: str
    row: int
    line: int


@dataclass
class SeedRows:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    relationships: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Document:
    id: str
    text: str
    grading: str
    confidence: int


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, record: Record, field_name: str, message: str) -> None:
        self.problems.append(Problem(record.file, record.row, record.line, field_name, message))


def read_records(data_dir: Path) -> tuple[list[Record], list[Problem]]:
    """Every record of every `*.yaml` under data_dir, with file, row and line."""
    records: list[Record] = []
    problems: list[Problem] = []
    files = sorted(data_dir.glob("*.yaml"))
    if not files:
        problems.append(Problem(str(data_dir), 0, 0, "-", "no *.yaml data files"))
    for path in files:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
            root = yaml.compose(text)
            data = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
            problems.append(Problem(name, 0, line, "-", f"not valid YAML: {exc}"))
            continue
        if not isinstance(data, dict) or root is None or not isinstance(root, yaml.MappingNode):
            problems.append(
                Problem(
                    name, 0, 1, "-", "a data file is a mapping of documents/entities/relationships"
                )
            )
            continue
        nodes_by_key = {k.value: v for k, v in root.value}
        for kind, items in data.items():
            if kind not in _RECORD_FIELDS:
                problems.append(
                    Problem(name, 0, nodes_by_key[kind].start_mark.line, kind, "unknown section")
                )
                continue
            if not isinstance(items, list):
                problems.append(
                    Problem(name, 0, nodes_by_key[kind].start_mark.line + 1, kind, "must be a list")
                )
                continue
            for index, (item, node) in enumerate(
                zip(items, nodes_by_key[kind].value, strict=True), start=1
            ):
                record = Record(
                    kind,
                    item if isinstance(item, dict) else {},
                    name,
                    index,
                    node.start_mark.line + 1,
                )
                if not isinstance(item, dict):
                    problems.append(
                        Problem(name, index, record.line, "-", "a record must be a mapping")
                    )
                    continue
                records.append(record)
    return records, problems


def _check_properties(
    check: _Checker,
    record: Record,
    specs: dict[str, PropertySpec],
    given: dict[str, Any],
    prefix: str,
    owner: str,
    required: bool = True,
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name, value in given.items():
        spec = specs.get(name)
        if spec is None:
            check.add(
                record,
                f"{prefix}{name}",
                f"not a property of {owner} in graph/model/model.yaml",
            )
        elif spec.derived:
            check.add(record, f"{prefix}{name}", "is derived by the loader; do not set it")
        elif value is not None:
            try:
                _store_value(name, check_value(spec, value), props)
            except ValueError as exc:
                check.add(record, f"{prefix}{name}", str(exc))
    if required:
        for name, spec in specs.items():
            if spec.required and not spec.derived and name not in props and name != "id":
                check.add(record, f"{prefix}{name}", "is required")
    return props


def build_rows(model: Model, data_dir: Path, documents_dir: Path) -> SeedRows:
    """Validate every record and turn it into node and relationship rows; raise
    SeedDataError listing the problems (up to a bound) if anything is wrong."""
    records, problems = read_records(data_dir)
    check = _Checker()
    check.problems.extend(problems)
    rows = SeedRows()
    documents: dict[str, _Document] = {}
    entity_ids: dict[str, tuple[str, str]] = {}  # key -> (id, label)
    mentions: dict[tuple[str, str], list[str]] = {}

    for record in records:
        unknown = sorted(set(record.data) - _RECORD_FIELDS[record.kind])
        for name in unknown:
            check.add(record, name, "unknown field")

    for record in (r for r in records if r.kind == "documents"):
        _document_row(model, check, record, documents_dir, documents, rows)
    for record in (r for r in records if r.kind == "entities"):
        _entity_row(model, check, record, documents, entity_ids, mentions, rows)
    rel_ids: set[str] = set()
    for record in (r for r in records if r.kind == "relationships"):
        _relationship_row(model, check, record, documents, entity_ids, rel_ids, rows)

    # A document mentions every entity it supports; the quotes are the claims' own.
    for (doc_id, entity_id), quotes in mentions.items():
        doc = documents[next(k for k, d in documents.items() if d.id == doc_id)]
        reliability, credibility = _grading(doc.grading) or ("F", 6)
        rows.relationships.append(
            {
                "id": stable_id("mentions", doc_id, entity_id),
                "type": "MENTIONS",
                "from": doc_id,
                "to": entity_id,
                "props": {
                    "source_ids": [doc_id],
                    "quote": quotes[0],
                    "quotes": quotes,
                    "confidence": 100,
                    "reliability": reliability,
                    "credibility": credibility,
                },
            }
        )

    if check.problems:
        shown = check.problems[:MAX_REPORTED_ERRORS]
        more = len(check.problems) - len(shown)
        message = (
            f"seed data rejected, nothing was written: {len(check.problems)} problem(s)\n"
            + "\n".join(map(str, shown))
        )
        if more:
            message += f"\n... and {more} more"
        raise SeedDataError(message, details=[vars(p) for p in shown])
    return rows


def _provenance(
    check: _Checker, record: Record, documents: dict[str, _Document]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """source_ids, quotes and grading of a record; also the (doc id, quote) pairs."""
    sources = record.data.get("sources")
    if not isinstance(sources, list) or not sources:
        check.add(record, "sources", "at least one {doc, quote} source is required")
        return {}, []
    pairs: list[tuple[str, str]] = []
    first_doc: _Document | None = None
    for index, source in enumerate(sources, start=1):
        where = f"sources[{index}]"
        if not isinstance(source, dict) or set(source) != {"doc", "quote"}:
            check.add(record, where, "must have exactly `doc` and `quote`")
            continue
        doc = documents.get(str(source["doc"]))
        quote = source["quote"]
        if doc is None:
            check.add(record, f"{where}.doc", f"unknown document {source['doc']!r}")
            continue
        if not isinstance(quote, str) or not quote.strip():
            check.add(record, f"{where}.quote", "must be a non-empty sentence")
            continue
        if collapse_whitespace(quote) not in collapse_whitespace(doc.text):
            check.add(record, f"{where}.quote", f"not found verbatim in document {source['doc']!r}")
            continue
        first_doc = first_doc or doc
        pairs.append((doc.id, collapse_whitespace(quote)))
    if first_doc is None:
        return {}, pairs
    grading = _grading(record.data.get("grading", first_doc.grading))
    if grading is None:
        check.add(
            record, "grading", "must be an Admiralty code: a letter A-F then a digit 1-6, e.g. B2"
        )
        grading = ("F", 6)
    confidence = record.data.get("confidence", first_doc.confidence)
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int)
        or not 0 <= confidence <= 100
    ):
        check.add(record, "confidence", "must be an integer from 0 to 100")
    provenance = {
        "source_ids": list(dict.fromkeys(doc_id for doc_id, _ in pairs)),
        "quote": pairs[0][1],
        "quotes": list(dict.fromkeys(q for _, q in pairs)),
        "confidence": confidence,
        "reliability": grading[0],
        "credibility": grading[1],
    }
    return provenance, pairs


def _handling(model: Model, check: _Checker, record: Record, props: dict[str, Any]) -> None:
    """An optional handling code (e.g. case:prison-break) restricts who sees the record."""
    if "handling" not in record.data:
        return
    try:
        props["handling"] = check_value(model.provenance["handling"], record.data["handling"])
    except ValueError as exc:
        check.add(record, "handling", str(exc))


def _key(check: _Checker, record: Record, seen: dict[str, Any]) -> str | None:
    key = record.data.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        check.add(record, "key", "required: lower-case letters, digits and dashes")
        return None
    if key in seen:
        check.add(record, "key", f"duplicate key {key!r}")
        return None
    return key


def _document_row(
    model: Model,
    check: _Checker,
    record: Record,
    documents_dir: Path,
    documents: dict[str, _Document],
    rows: SeedRows,
) -> None:
    data = record.data
    key = _key(check, record, documents)
    file_name = data.get("file")
    if key is None:
        return
    path = documents_dir / str(file_name)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        check.add(record, "file", f"cannot read {path}: {exc}")
        return
    sha = hashlib.sha256(raw).hexdigest()
    doc_id = stable_id("document", key, sha)
    grading = _grading(data.get("grading"))
    if grading is None:
        check.add(record, "grading", "must be an Admiralty code such as B2")
        grading = ("F", 6)
    title = data.get("title")
    given: dict[str, Any] = {
        k: data[k]
        for k in (
            "name",
            "title",
            "publisher",
            "cites",
            "url",
            "published",
            "retrieved",
            "language",
            "description",
            "aliases",
        )
        if k in data
    }
    given.update({"file_name": file_name, "content_sha256": sha, "text": text})
    props = _check_properties(
        check, record, model.node_properties("Document"), given, "", "Document"
    )
    if isinstance(title, str) and collapse_whitespace(title) not in collapse_whitespace(text):
        check.add(record, "title", "not found verbatim in the document")
    confidence = data.get("confidence", 100)
    documents[key] = _Document(doc_id, text, f"{grading[0]}{grading[1]}", confidence)
    props.update(
        id=doc_id,
        search_text=search_text(str(data.get("name", "")), data.get("aliases")),
        source_ids=[doc_id],
        quote=collapse_whitespace(str(title)),
        quotes=[collapse_whitespace(str(title))],
        confidence=100,
        reliability=grading[0],
        credibility=grading[1],
    )
    _handling(model, check, record, props)
    rows.nodes.append({"id": doc_id, "label": "Document", "props": props})


def _entity_row(
    model: Model,
    check: _Checker,
    record: Record,
    documents: dict[str, _Document],
    entity_ids: dict[str, tuple[str, str]],
    mentions: dict[tuple[str, str], list[str]],
    rows: SeedRows,
) -> None:
    data = record.data
    key = _key(check, record, entity_ids)
    label = data.get("label")
    if label not in model.node_labels or label == "Document":
        check.add(
            record,
            "label",
            f"must be one of {', '.join(x for x in model.node_labels if x != 'Document')}",
        )
        return
    if key is None:
        return
    given: dict[str, Any] = {k: data[k] for k in ("name", "aliases", "description") if k in data}
    extra = data.get("properties") or {}
    if not isinstance(extra, dict):
        check.add(record, "properties", "must be a mapping")
        extra = {}
    clashes = sorted(set(extra) & set(given))
    for name in clashes:
        check.add(record, f"properties.{name}", "given twice")
    specs = model.node_properties(label)
    props = _check_properties(check, record, specs, given, "", label, required=False)
    props.update(
        _check_properties(check, record, specs, extra, "properties.", label, required=False)
    )
    for name, spec in specs.items():
        if spec.required and not spec.derived and name != "id" and name not in props:
            where = name if name in ("name", "aliases", "description") else f"properties.{name}"
            check.add(record, where, f"is required for {label}")
    provenance, pairs = _provenance(check, record, documents)
    entity_id = stable_id(label.lower(), key)
    entity_ids[key] = (entity_id, label)
    props.update(
        provenance,
        id=entity_id,
        search_text=search_text(str(data.get("name", "")), data.get("aliases")),
    )
    _handling(model, check, record, props)
    rows.nodes.append({"id": entity_id, "label": label, "props": props})
    for doc_id, quote in pairs:
        quotes = mentions.setdefault((doc_id, entity_id), [])
        if quote not in quotes:
            quotes.append(quote)


def _relationship_row(
    model: Model,
    check: _Checker,
    record: Record,
    documents: dict[str, _Document],
    entity_ids: dict[str, tuple[str, str]],
    rel_ids: set[str],
    rows: SeedRows,
) -> None:
    data = record.data
    rel_type = data.get("type")
    if rel_type not in model.relationship_types or rel_type == "MENTIONS":
        check.add(
            record,
            "type",
            "must be a relationship type of graph/model/model.yaml other than MENTIONS (derived)",
        )
        return
    ends = []
    for side in ("from", "to"):
        key = data.get(side)
        if key not in entity_ids:
            check.add(record, side, f"unknown entity key {key!r}")
        else:
            ends.append(entity_ids[key])
    extra = data.get("properties") or {}
    if not isinstance(extra, dict):
        check.add(record, "properties", "must be a mapping")
        extra = {}
    props = _check_properties(
        check, record, model.relationship_properties(rel_type), extra, "properties.", rel_type
    )
    provenance, _ = _provenance(check, record, documents)
    if len(ends) != 2:
        return
    (from_id, from_label), (to_id, to_label) = ends
    if not model.endpoint_allowed(rel_type, from_label, to_label):
        check.add(
            record,
            "type",
            f"{rel_type} does not go from {from_label} to {to_label} in graph/model/model.yaml",
        )
        return
    rel_id = stable_id(
        rel_type.lower(), str(data["from"]), str(data["to"]), str(data.get("key", ""))
    )
    if rel_id in rel_ids:
        check.add(
            record,
            "key",
            "same type, from and to as another relationship: give each a distinct `key`",
        )
        return
    rel_ids.add(rel_id)
    props.update(provenance, id=rel_id)
    _handling(model, check, record, props)
    rows.relationships.append(
        {"id": rel_id, "type": rel_type, "from": from_id, "to": to_id, "props": props}
    )


def _batches(items: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def _respect_merges(store: Store, rows: SeedRows) -> None:
    """Reloading after an analyst merged entity B into A (graph.growth.resolution) must not undo
    the merge: B stays out of search and B's relationships stay attached to A."""
    merged: dict[str, str] = {}
    absorbed: dict[str, dict[str, Any]] = {}  # canonical id -> its stored properties
    ids = sorted(row["id"] for row in rows.nodes)
    for start in range(0, len(ids), BATCH_SIZE):
        for found in store.run(
            "entities_with_properties", {"ids": ids[start : start + BATCH_SIZE]}
        ):
            props = found["properties"]
            if props.get("merged_into"):
                merged[found["id"]] = str(props["merged_into"])
            if props.get("merged_ids"):
                absorbed[found["id"]] = props
    for row in rows.nodes:
        if row["id"] in merged:
            row["props"].pop("search_text", None)
        stored = absorbed.get(row["id"])
        if stored is not None:
            # A keeps what the merge gave it (B's names, sources, quotes, imports): the
            # seed's lists are added to the stored ones, never put in their place.
            for key in MERGED_LISTS:
                if key in row["props"] or key in stored:
                    row["props"][key] = list(
                        dict.fromkeys([*(stored.get(key) or []), *(row["props"].get(key) or [])])
                    )
            row["props"]["search_text"] = search_text(
                str(row["props"].get("name", "")), row["props"].get("aliases")
            )
    if not merged:
        return
    for row in rows.relationships:
        for end in ("from", "to"):
            seen = set()
            while row[end] in merged and row[end] not in seen:
                seen.add(row[end])
                row[end] = merged[row[end]]


def load_seed(
    store: Store,
    model: Model,
    data_dir: Path,
    documents_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> SeedRows:
    """Validate the seed data, then write it in one transaction (all or nothing)."""
    rows = build_rows(model, data_dir, documents_dir)
    _respect_merges(store, rows)
    steps = [WriteStep("upsert_nodes", {"rows": batch}) for batch in _batches(rows.nodes)]
    node_steps = len(steps)
    steps += [
        WriteStep("upsert_relationships", {"rows": batch}) for batch in _batches(rows.relationships)
    ]
    done = {"nodes": 0, "relationships": 0}

    def report(index: int, step: WriteStep, result: list[dict[str, Any]]) -> None:
        kind = "nodes" if index < node_steps else "relationships"
        sent = len(step.params["rows"])
        written = result[0]["rows"] if result else 0
        if kind == "relationships" and written != sent:
            # Raising inside the transaction function rolls the whole load back.
            raise SeedDataError(f"{sent - written} relationship(s) lost an endpoint while loading")
        done[kind] += sent
        if progress is not None:
            progress(
                f"wrote {done['nodes']}/{len(rows.nodes)} nodes, "
                f"{done['relationships']}/{len(rows.relationships)} relationships"
            )

    store.write_transaction(steps, progress=report, label="seed")
    return rows

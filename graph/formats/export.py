"""Snapshot exports: JSON, GraphML, FollowTheMoney, a Cypher script and neo4j-admin CSV.

Every function here is pure: it reads a snapshot (docs/snapshot-format.md) and nothing else,
so the same snapshot always gives the same bytes. Nodes and relationships are written in id
order and properties in key order, whatever order the snapshot's dicts hold them in; the only
times written are those inside the snapshot.

Types are decided per property key over the whole snapshot, the same way for every format
(`_column_types`): booleans, integers, floats, strings and lists of one of these. A
`<name>_day` key whose every value is a full ISO day is a date (the loader stores it as a
Neo4j date, and the snapshot carries it as text); a key whose values disagree on a type
is text, its non-string values written as JSON.

Labels, relationship types and property keys go into Cypher and CSV headers as written, so
every export except JSON refuses any that is not a plain identifier (`InvalidInput`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

import networkx as nx
from followthemoney import model as ftm_model
from followthemoney.exc import InvalidData
from followthemoney.property import Property
from followthemoney.schema import Schema, ValidationData
from followthemoney.types import registry

from graph.core.errors import InvalidInput
from graph.db import literals
from graph.db.literals import cypher_string
from graph.formats.snapshot_json import Snapshot, canonical_json
from graph.model.schema import Model, load_model

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FULL_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)
# Characters XML 1.0 cannot hold at all; GraphML text gets U+FFFD in their place.
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Props = Mapping[str, Any]


# --- shared: checks, ordering and per-key types ------------------------------------------


def _check_name(kind: str, name: object, where: str) -> str:
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise InvalidInput(
            f"{where}: {kind} {name!r} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)",
            details=[{"field": where, "message": f"{kind} must match {IDENTIFIER.pattern}"}],
        )
    return name


@lru_cache(maxsize=1)
def _model_names() -> tuple[set[str], set[str]]:
    model = load_model()
    return set(model.spec.nodes), set(model.relationship_types)


def _model_name(kind: str, name: str, known: set[str], where: str) -> None:
    if name not in known:
        raise InvalidInput(
            f"{where}: {kind} {name!r} is not in the model (graph/model/model.yaml)",
            details=[{"field": where, "message": f"a {kind} of the model"}],
        )


def _nodes(snapshot: Snapshot) -> list[dict[str, Any]]:
    return sorted(snapshot["nodes"], key=lambda n: str(n["id"]))


def _relationships(snapshot: Snapshot) -> list[dict[str, Any]]:
    return sorted(snapshot["relationships"], key=lambda r: str(r["id"]))


def _checked(snapshot: Snapshot) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Nodes and relationships in id order, after checking what every export relies on:
    unique string ids, an `id` property (if any) equal to the id, labels and types of the
    model, plain-identifier keys, and relationship ends that are nodes of the snapshot."""
    nodes, relationships = _nodes(snapshot), _relationships(snapshot)
    labels, types = _model_names()  # written into scripts: only the model's own
    node_ids: set[str] = set()
    for kind, items in (("node", nodes), ("relationship", relationships)):
        seen: set[str] = set()
        for item in items:
            item_id = item["id"]
            where = f"{kind} {item_id!r}"
            if not isinstance(item_id, str) or not item_id or item_id in seen:
                raise InvalidInput(f"{where}: ids must be unique non-empty strings")
            seen.add(item_id)
            props = item.get("properties") or {}
            if props.get("id", item_id) != item_id:
                raise InvalidInput(f"{where}: its `id` property differs from its id")
            for key in props:
                _check_name("property key", key, where)
            if kind == "node":
                for label in item.get("labels") or []:
                    _model_name("label", _check_name("label", label, where), labels, where)
            else:
                rel_type = _check_name("relationship type", item["type"], where)
                _model_name("relationship type", rel_type, types, where)
                for end in ("from_id", "to_id"):
                    if item[end] not in node_ids:
                        raise InvalidInput(f"{where}: {end} {item[end]!r} is not a node of it")
        if kind == "node":
            node_ids = seen
    return nodes, relationships


class _Column(NamedTuple):
    """How one property key is typed across a snapshot. `kind` is a neo4j-admin type
    (boolean, int, long, double, date, string) or `mixed` (written as text)."""

    kind: str
    array: bool


def _kind_of(values: list[Any], key: str) -> str:
    if not values:
        return "string"
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int" if all(v in _INT32 for v in values) else "long"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "double"
    if all(isinstance(v, str) for v in values):
        if key.endswith("_day") and all(_FULL_DAY.match(v) for v in values):
            return "date"
        return "string"
    return "mixed"


def _column_types(items: Iterable[Props]) -> dict[str, _Column]:
    """The type of every property key over all the given property maps, keys sorted."""
    values: dict[str, list[Any]] = {}
    for props in items:
        for key, value in props.items():
            if value is not None:
                values.setdefault(key, []).append(value)
    columns: dict[str, _Column] = {}
    for key in sorted(values):
        found = values[key]
        if all(isinstance(v, list) for v in found):
            columns[key] = _Column(_kind_of([x for v in found for x in v], key), True)
        elif any(isinstance(v, list) for v in found):
            columns[key] = _Column("mixed", False)
        else:
            columns[key] = _Column(_kind_of(found, key), False)
    return columns


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else canonical_json(value)


# --- JSON -----------------------------------------------------------------------------------


def to_json(snapshot: Snapshot) -> str:
    """The snapshot itself as pretty JSON: keys sorted, UTF-8 text, a final newline."""
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- GraphML --------------------------------------------------------------------------------

NODE_ATTRIBUTES = ("label", "labels")  # written by to_graphml beside the node's properties
EDGE_ATTRIBUTES = ("label",)


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def _graphml_value(value: Any, column: _Column) -> Any:
    if column.array or column.kind == "mixed":
        return _xml_text(_as_text(value))
    if column.kind == "double":
        return float(value)
    if isinstance(value, str):
        return _xml_text(value)
    return value


def _graphml_attributes(
    props: Props, columns: dict[str, _Column], reserved: tuple[str, ...], where: str
) -> dict[str, Any]:
    clash = sorted(set(props) & set(reserved))
    if clash:
        raise InvalidInput(f"{where}: property {clash[0]!r} clashes with a GraphML attribute")
    return {
        key: _graphml_value(props[key], column)
        for key, column in columns.items()
        if props.get(key) is not None
    }


def to_graphml(snapshot: Snapshot) -> str:
    """GraphML for Gephi and yEd (networkx MultiDiGraph; edges keyed by relationship id).

    Nodes carry `label` (the name, Gephi and yEd show it), `labels` and every property;
    edges carry `label` (the relationship type) and every property. GraphML holds scalars
    only, so list values (labels, aliases, source_ids, quotes, ...) are JSON arrays as text:
    lossless, and readable back with json.loads. Characters XML cannot hold become U+FFFD.
    """
    nodes, relationships = _checked(snapshot)
    node_columns = _column_types(n["properties"] for n in nodes)
    edge_columns = _column_types(r["properties"] for r in relationships)
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    graph.graph["id"] = _xml_text(str(snapshot.get("id", "")))
    for key in ("format", "title", "created", "content_hash"):
        if snapshot.get(key) is not None:
            graph.graph[key] = _xml_text(str(snapshot[key]))
    if snapshot.get("query") is not None:
        graph.graph["query"] = _xml_text(canonical_json(snapshot["query"]))
    for node in nodes:
        props = node["properties"]
        name = props.get("name")
        graph.add_node(
            _xml_text(node["id"]),
            label=_xml_text(name if isinstance(name, str) else node["id"]),
            labels=canonical_json(sorted(node.get("labels") or [])),
            **_graphml_attributes(props, node_columns, NODE_ATTRIBUTES, f"node {node['id']!r}"),
        )
    for rel in relationships:
        graph.add_edge(
            _xml_text(rel["from_id"]),
            _xml_text(rel["to_id"]),
            key=_xml_text(rel["id"]),
            label=rel["type"],
            **_graphml_attributes(
                rel["properties"], edge_columns, EDGE_ATTRIBUTES, f"relationship {rel['id']!r}"
            ),
        )
    out = io.BytesIO()
    # The ElementTree writer, never the lxml one: the bytes must not depend on what is
    # installed beside networkx.
    nx.write_graphml_xml(graph, out, encoding="utf-8", prettyprint=True)
    return out.getvalue().decode("utf-8") + "\n"


# --- FollowTheMoney -------------------------------------------------------------------------

# Labels without an `ftm:` name of their own or of an ancestor in graph/model/model.yaml.
FTM_FALLBACK: dict[str, str] = {
    "Facility": "RealEstate",  # a physical site: a prison is a piece of land or property
    "Method": "Note",  # a modus operandi; FtM has no concept schema, a Note is the neutral Thing
}
FTM_DEFAULT_SCHEMA = "Note"  # labels the model does not know
FTM_LINK_SCHEMA = "UnknownLink"  # relationships without a fitting FtM schema
FTM_LINK_ROLE = "role"  # UnknownLink property that names the relationship type
# Top-level key of every entity to_ftm writes: the node or relationship exactly as crimegraph
# holds it, so an import restores it without loss. FtM tools ignore keys they do not know.
FTM_EXTENSION = "crimegraph"
# Link schemata that are not FtM edges: (property for from_id, property for to_id).
_FTM_LINK_ENDS: dict[str, tuple[str, str]] = {"Mention": ("document", "resolved")}
# crimegraph property -> FtM property, applied where the entity's schema has that property.
FTM_PROPERTIES: dict[str, str] = {
    "name": "name",
    "aliases": "alias",
    "description": "description",
    "nationality": "nationality",
    "position": "position",
    "status": "status",
    "country": "country",
    "jurisdiction": "jurisdiction",
    "website": "website",
    "date": "date",
    "title": "title",
    "publisher": "publisher",
    "url": "sourceUrl",
    "file_name": "fileName",
    "published": "publishedAt",
    "retrieved": "retrievedAt",
    "language": "language",
    "facility_type": "propertyType",
    "relationship": "relationship",
    "role": "role",
    "text": "bodyText",
}
_PROVENANCE = ("id", "source_ids", "quote", "quotes")  # placed by to_ftm itself


def _ftm_schema(name: str) -> Schema:
    schema = ftm_model.get(name)
    if schema is None or schema.abstract:
        raise InvalidInput(f"{name!r} is not a concrete FollowTheMoney schema")
    return schema


@lru_cache(maxsize=1)
def _default_model() -> Model:
    return load_model()


def ftm_schema_for_labels(labels: Iterable[str], model: Model) -> Schema:
    """The FtM schema of a node: the model's most specific label, then its ancestors, the
    first with an `ftm:` name (or an FTM_FALLBACK entry) deciding; else FTM_DEFAULT_SCHEMA."""
    known = sorted(label for label in labels if label in model.spec.nodes)
    if known:
        specific = max(known, key=lambda label: len(model.labels_of(label)))
        for label in reversed(model.labels_of(specific)):
            name = model.spec.nodes[label].ftm or FTM_FALLBACK.get(label)
            if name:
                return _ftm_schema(name)
    return _ftm_schema(FTM_DEFAULT_SCHEMA)


def _fits(prop: Property | None, schema: Schema) -> bool:
    return (
        prop is not None
        and prop.type == registry.entity
        and (prop.range is None or schema.is_a(prop.range))
    )


def ftm_link_schema(
    rel_type: str, model: Model, source: Schema, target: Schema
) -> tuple[Schema, str, str]:
    """The FtM schema of a relationship and its two end properties: the type's `ftm:` name
    when the ends' schemata fit that schema's ranges (Membership: member, organization),
    else UnknownLink (subject, object)."""
    spec = model.spec.relationships.get(rel_type)
    if spec is not None and spec.ftm:
        schema = _ftm_schema(spec.ftm)
        ends = (
            (schema.edge_source, schema.edge_target)
            if schema.edge
            else _FTM_LINK_ENDS.get(schema.name)
        )
        if (
            ends
            and ends[0]
            and ends[1]
            and _fits(schema.get(ends[0]), source)
            and _fits(schema.get(ends[1]), target)
        ):
            return schema, ends[0], ends[1]
    link = _ftm_schema(FTM_LINK_SCHEMA)
    return link, link.edge_source or "subject", link.edge_target or "object"


def _ftm_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_ftm_text(v) for v in value)
    return str(value)


class _FtmEntity:
    """An FtM entity under construction: values cleaned by FtM's own types, in order."""

    def __init__(self, entity_id: str, schema: Schema) -> None:
        self.id = entity_id
        self.schema = schema
        self.properties: dict[str, list[str]] = {}
        self.leftovers: list[str] = []

    def add(self, name: str, values: Any) -> bool:
        """Add cleaned values to an FtM property; False if the schema lacks it or FtM
        rejects a value (the caller keeps it elsewhere)."""
        prop = self.schema.get(name)
        if prop is None or prop.stub:
            return False
        raw = values if isinstance(values, list) else [values]
        cleaned = [prop.type.clean(v if isinstance(v, str) else _ftm_text(v)) for v in raw]
        if any(v is None for v in cleaned):
            return False
        target = self.properties.setdefault(name, [])
        target.extend(v for v in cleaned if v is not None and v not in target)
        return True

    def data(self) -> dict[str, Any]:
        if self.leftovers and self.schema.get("description") is not None:
            self.add("description", "crimegraph: " + "; ".join(self.leftovers))
        return {
            "id": self.id,
            "schema": self.schema.name,
            "properties": {k: v for k, v in self.properties.items() if v},
        }


def _derived(key: str, props: Props) -> bool:
    """`date_precision` and `date_day` restate `date`, which FtM dates keep partial."""
    for suffix in ("_precision", "_day"):
        if key.endswith(suffix) and key.removesuffix(suffix) in props:
            return True
    return False


def _ftm_fill(
    entity: _FtmEntity,
    props: Props,
    sources: Mapping[str, Mapping[str, Any]],
    skip: tuple[str, ...] = (),
) -> None:
    """Map properties and provenance onto an FtM entity (see to_ftm for where each goes)."""
    for key in sorted(props):
        value = props[key]
        if value is None or value == [] or key in _PROVENANCE or _derived(key, props):
            continue
        target = FTM_PROPERTIES.get(key)
        if target is None or key in skip or not entity.add(target, value):
            entity.leftovers.append(f"{key}: {_ftm_text(value)}")
    source_ids = [s for s in props.get("source_ids") or [] if isinstance(s, str)]
    # A document cites itself; FtM refuses an entity that references itself.
    entity.add("proof", [s for s in source_ids if s != entity.id])
    quotes = [props["quote"]] if isinstance(props.get("quote"), str) else []
    entity.add("summary", [*quotes, *(props.get("quotes") or [])])
    for source_id in source_ids:
        source = sources.get(source_id) or {}
        if source.get("publisher"):
            entity.add("publisher", source["publisher"])
        if source.get("url"):
            entity.add("sourceUrl", source["url"])


def _ftm_validated(data: dict[str, Any]) -> dict[str, Any]:
    """The entity as FtM reads it back; InvalidInput unless FtM keeps every value as is
    and the schema's required properties are set."""
    where = f"FollowTheMoney {data['schema']} {data['id']!r}"
    schema = _ftm_schema(data["schema"])
    try:
        schema.validate(ValidationData(properties=data["properties"]))
        proxy = ftm_model.get_proxy(data, cleaned=False)
    except InvalidData as exc:
        raise InvalidInput(f"{where} is invalid: {exc}") from exc
    missing = [p for p in sorted(schema.required) if not proxy.get(p)]
    if missing:
        raise InvalidInput(f"{where} lacks required {', '.join(missing)}")
    result = proxy.to_dict()
    if result != data:
        raise InvalidInput(f"{where}: FollowTheMoney changed or dropped values: {data}")
    return result


def to_ftm(snapshot: Snapshot, model: Model | None = None) -> str:
    """FollowTheMoney entities as JSON lines: the snapshot's sources (as Document) and nodes
    in id order, then its relationships in id order. Ids are crimegraph's.

    A node's schema is that of its most specific label with an `ftm:` name in the model
    (FTM_FALLBACK for Facility and Method); a relationship's is its type's `ftm:` schema
    when the ends fit it, else UnknownLink with `role` = the type. Properties map by
    FTM_PROPERTIES where the schema has them (FtM cleans values, e.g. countries to codes).
    Provenance: `proof` = the source documents, `summary` = the quotes, `publisher` and
    `sourceUrl` from the sources; node labels (but the root) go to `keywords`; anything
    else (grading, dates in words, kinds, FtM-invalid values) to one `description` value,
    "crimegraph: key: value; ...". Every entity is validated by the followthemoney model.

    Every entity also carries the top-level key FTM_EXTENSION (`crimegraph`), which FtM
    tools ignore: `{"labels", "properties"}` for a node, `{"type", "from", "to",
    "properties"}` for a relationship, `{"labels", "reference": true}` for a source that is
    cited but not part of the snapshot. graph.growth.imports prefers it to the lossy FtM mapping.
    """
    model = model or _default_model()
    nodes, relationships = _checked(snapshot)
    sources = {s["id"]: s for s in snapshot.get("sources") or []}
    entities: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Schema] = {}
    names: dict[str, str] = {}
    for node in nodes:
        labels = node.get("labels") or []
        schema = ftm_schema_for_labels(labels, model)
        entity = _FtmEntity(node["id"], schema)
        _ftm_fill(entity, node["properties"], sources)
        entity.add("keywords", [label for label in sorted(labels) if label != model.root_label])
        if schema.is_a("Document") and "fileName" not in entity.properties:
            entity.add("fileName", node["id"])
        schemas[node["id"]] = schema
        names[node["id"]] = str(node["properties"].get("name") or node["id"])
        entities[node["id"]] = _ftm_validated(entity.data())
        entities[node["id"]][FTM_EXTENSION] = {
            "labels": sorted(labels),
            "properties": dict(sorted(node["properties"].items())),
        }
    for source_id in sorted(set(sources) - set(entities)):
        fields = {k: v for k, v in sources[source_id].items() if k != "id"}
        entity = _FtmEntity(source_id, _ftm_schema("Document"))
        _ftm_fill(entity, fields, {})
        if "fileName" not in entity.properties:
            entity.add("fileName", source_id)
        entities[source_id] = _ftm_validated(entity.data())
        entities[source_id][FTM_EXTENSION] = {
            "labels": sorted(model.labels_of("Document")),
            "reference": True,
        }
    lines = [canonical_json(entities[entity_id]) for entity_id in sorted(entities)]
    for rel in relationships:
        ends = schemas[rel["from_id"]], schemas[rel["to_id"]]
        schema, from_prop, to_prop = ftm_link_schema(rel["type"], model, *ends)
        entity = _FtmEntity(rel["id"], schema)
        entity.add(from_prop, rel["from_id"])
        entity.add(to_prop, rel["to_id"])
        skip: tuple[str, ...] = ()
        if schema.name == FTM_LINK_SCHEMA:
            entity.add(FTM_LINK_ROLE, rel["type"])
            skip = ("role",)  # the type holds `role`; the relationship's own role is kept aside
        elif schema.get("name") is not None and schema.is_a("Mention"):
            entity.add("name", names[rel["to_id"]])
        _ftm_fill(entity, rel["properties"], sources, skip)
        data = _ftm_validated(entity.data())
        data[FTM_EXTENSION] = {
            "type": rel["type"],
            "from": rel["from_id"],
            "to": rel["to_id"],
            "properties": dict(sorted(rel["properties"].items())),
        }
        lines.append(canonical_json(data))
    return "".join(line + "\n" for line in lines)


# --- Cypher ---------------------------------------------------------------------------------


def cypher_literal(value: Any, as_date: bool = False) -> str:
    """A property value as a Cypher literal (graph.db.literals): string, integer, float,
    boolean, or a list of one of these; `as_date` writes a string as date('...')."""
    if isinstance(value, list):
        kinds = {
            bool if isinstance(v, bool) else float if isinstance(v, int | float) else type(v)
            for v in value
        }
        if len(kinds) > 1 or kinds & {list, dict}:
            raise InvalidInput(f"list {value!r} mixes types or nests; properties cannot hold it")
    if value is None or isinstance(value, dict):
        raise InvalidInput(f"{type(value).__name__} value {value!r} cannot be a property")
    try:
        return literals.cypher_literal(value, as_date=as_date)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _cypher_map(props: Props, columns: dict[str, _Column]) -> str:
    keys = sorted(k for k, v in props.items() if v is not None)
    keys.sort(key=lambda k: k != "id")  # id first, for the reader
    dates = {k for k, column in columns.items() if column.kind == "date"}
    pairs = [f"{k}: {cypher_literal(props[k], k in dates)}" for k in keys]
    return "{" + ", ".join(pairs) + "}"


def _comment(text: str) -> str:
    """Text safe inside a // comment: one line, printable characters only."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def to_cypher(snapshot: Snapshot) -> str:
    """A Cypher script that recreates the subgraph in an empty database (Neo4j 5, or
    ArcadeDB over Bolt): one statement per line, each ending with `;`, after a header of
    `//` comments. Nodes are created with all their labels at once, in id order;
    relationships match their ends by `id` (on the label every node shares, so an index
    on it is used when present). `<name>_day` dates become date('...')."""
    nodes, relationships = _checked(snapshot)
    node_columns = _column_types(n["properties"] for n in nodes)
    rel_columns = _column_types(r["properties"] for r in relationships)
    label_sets = [set(n.get("labels") or []) for n in nodes]
    shared = sorted(set.intersection(*label_sets)) if label_sets else []
    labels_of = {n["id"]: sorted(n.get("labels") or []) for n in nodes}

    def endpoint(var: str, node_id: str) -> str:
        label = shared[0] if shared else next(iter(labels_of[node_id]), None)
        return f"({var}{':' + label if label else ''} {{id: {cypher_string(node_id)}}})"

    lines = [
        f"// crimegraph snapshot {_comment(str(snapshot.get('id')))}"
        f" ({_comment(str(snapshot.get('format')))})",
        f"// title: {_comment(str(snapshot.get('title')))}",
        f"// content_hash: {_comment(str(snapshot.get('content_hash')))}",
        f"// created: {_comment(str(snapshot.get('created')))}",
        f"// nodes: {len(nodes)}, relationships: {len(relationships)}",
        "// Run in an EMPTY database, e.g. `cypher-shell -f <this file>`; one statement per line.",
        "",
    ]
    for node in nodes:
        labels = "".join(f":{label}" for label in labels_of[node["id"]])
        props = {**node["properties"], "id": node["id"]}
        lines.append(f"CREATE ({labels} {_cypher_map(props, node_columns)});")
    for rel in relationships:
        props = {**rel["properties"], "id": rel["id"]}
        lines.append(
            f"MATCH {endpoint('a', rel['from_id'])}, {endpoint('b', rel['to_id'])} "
            f"CREATE (a)-[:{rel['type']} {_cypher_map(props, rel_columns)}]->(b);"
        )
    return "\n".join(lines) + "\n"


# --- neo4j-admin CSV ------------------------------------------------------------------------

ARRAY_DELIMITERS = (";", "|", "\x1f")  # the first one no value contains is used

# OWASP CSV injection: a spreadsheet reads a cell that starts with one of these as a
# formula (`=cmd|' /C calc'!A0`, `=HYPERLINK(...)`), so such a text cell is written with a
# leading `'`. So that the quote can be taken off again exactly, a text that already
# starts with quotes followed by one of these gets one more: the reader removes one
# quote from any cell that starts with quotes followed by a trigger (unguard_cell).
FORMULA_TRIGGERS = "=+-@\t\r"
_UNGUARDED = re.compile("'*[" + re.escape(FORMULA_TRIGGERS) + "]")
_GUARDED = re.compile("'+[" + re.escape(FORMULA_TRIGGERS) + "]")
_GUARDED_TEXT = "(?s)'+[=+\\-@\\t\\r].*"  # _GUARDED as a Java regex, for Cypher's =~


def guard_cell(text: str) -> str:
    """Text as a CSV cell no spreadsheet runs as a formula: `'` before a formula trigger."""
    return "'" + text if _UNGUARDED.match(text) else text


def unguard_cell(text: str) -> str:
    """The text guard_cell was given: for a CSV cell crimegraph wrote."""
    return text[1:] if _GUARDED.match(text) else text


def _array_delimiter(items: Iterable[Mapping[str, Any]]) -> str:
    texts: list[str] = []
    for item in items:
        texts.extend(item.get("labels") or [])
        for value in item["properties"].values():
            if isinstance(value, list):
                texts.extend(_as_text(v) for v in value)
    for delimiter in ARRAY_DELIMITERS:
        if not any(delimiter in text for text in texts):
            return delimiter
    raise InvalidInput("every array delimiter neo4j-admin could use occurs in the values")


def _csv_header(key: str, column: _Column) -> str:
    kind = "string" if column.kind == "mixed" else column.kind
    if kind == "string" and not column.array:
        return key
    return f"{key}:{kind}{'[]' if column.array else ''}"


_TEXT_KINDS = ("string", "mixed")  # columns whose cells are guarded; numbers stay numbers


def _csv_scalar(value: Any, column: _Column) -> str:
    if column.kind == "mixed":
        return guard_cell(_as_text(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if column.kind == "double":
        return repr(float(value))
    if column.kind == "string":
        return guard_cell(str(value))
    return str(value)  # int, long (a negative number stays one), date (digits first)


def _csv_value(value: Any, column: _Column, delimiter: str) -> str:
    if value is None:
        return ""
    if column.array:
        return delimiter.join(_csv_scalar(v, column) for v in value)
    return _csv_scalar(value, column)


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return out.getvalue()


def _delimiter_option(delimiter: str) -> str:
    return f"'{delimiter}'" if delimiter.isprintable() else f"U+{ord(delimiter):04X}"


GRAPH_EXPORT_FORMAT = "crimegraph.export/1"  # graph.growth.imports.export_graph's snapshot shape


def _describe(snapshot: Snapshot, nodes: int, relationships: int) -> list[str]:
    """What the files hold, in a few lines: a graph export (of the whole graph or of one
    dataset) or a briefing snapshot (with its title and content hash)."""
    counts = f"{nodes} nodes, {relationships} relationships"
    if snapshot.get("format") == GRAPH_EXPORT_FORMAT:
        dataset = snapshot.get("dataset")
        if dataset:
            lines = [
                f"crimegraph graph export of dataset {_comment(str(dataset))}: {counts}",
                "(its records, the nodes its relationships end at and the documents they cite)",
            ]
        else:
            lines = [f"crimegraph graph export of the whole graph: {counts}"]
    else:
        lines = [f"crimegraph snapshot {_comment(str(snapshot.get('id')))}: {counts}"]
        for key in ("title", "content_hash"):
            if snapshot.get(key) is not None:
                lines.append(f"{key}: {_comment(str(snapshot[key]))}")
    if snapshot.get("created") is not None:
        lines.append(f"created: {_comment(str(snapshot['created']))}")
    return lines


def to_admin_csv(snapshot: Snapshot) -> dict[str, str]:
    """Files for `neo4j-admin database import full`: nodes.csv (`id:ID`, `:LABEL`, typed
    property columns), relationships.csv (`:START_ID`, `:END_ID`, `:TYPE`, `id`, typed
    property columns) and README.txt with the import command.

    Column types hold for the whole file (`confidence:int`, `aliases:string[]`,
    `date_day:date`; see the module docstring). Array elements and labels are joined by
    `;`, or by `|` (then U+001F) when some value contains `;`: README.txt gives the
    matching --array-delimiter. An empty list is an empty field, which neo4j-admin leaves
    unset; fields with newlines are quoted (hence --multiline-fields=true).
    """
    nodes, relationships = _checked(snapshot)
    delimiter = _array_delimiter([*nodes, *relationships])
    node_columns = _column_types(
        {k: v for k, v in n["properties"].items() if k != "id"} for n in nodes
    )
    rel_columns = _column_types(
        {k: v for k, v in r["properties"].items() if k != "id"} for r in relationships
    )
    node_rows = [["id:ID", ":LABEL", *(_csv_header(k, c) for k, c in node_columns.items())]]
    for node in nodes:
        props = node["properties"]
        node_rows.append(
            [
                guard_cell(node["id"]),
                delimiter.join(sorted(node.get("labels") or [])),
                *(_csv_value(props.get(k), c, delimiter) for k, c in node_columns.items()),
            ]
        )
    rel_rows = [
        [
            ":START_ID",
            ":END_ID",
            ":TYPE",
            "id",
            *(_csv_header(k, c) for k, c in rel_columns.items()),
        ]
    ]
    for rel in relationships:
        props = rel["properties"]
        rel_rows.append(
            [
                guard_cell(rel["from_id"]),
                guard_cell(rel["to_id"]),
                rel["type"],
                guard_cell(rel["id"]),
                *(_csv_value(props.get(k), c, delimiter) for k, c in rel_columns.items()),
            ]
        )
    readme = (
        "".join(f"{line}\n" for line in _describe(snapshot, len(nodes), len(relationships)))
        + "\nImport into a new Neo4j 5 database (the database must be stopped, and empty or\n"
        "absent), from the directory holding these files:\n\n"
        "  neo4j-admin database import full --nodes=nodes.csv "
        "--relationships=relationships.csv \\\n"
        f"    --array-delimiter={_delimiter_option(delimiter)} --multiline-fields=true <database>\n"
        + _unguard_note(nodes, relationships, node_columns, rel_columns)
    )
    return {
        "README.txt": readme,
        "nodes.csv": _csv_text(node_rows),
        "relationships.csv": _csv_text(rel_rows),
    }


def _guarded_keys(
    items: list[dict[str, Any]], columns: dict[str, _Column]
) -> list[tuple[str, bool]]:
    """(key, is a list) of the text properties, and `id`, where guard_cell added a quote."""
    found: dict[str, bool] = {}
    for item in items:
        if guard_cell(item["id"]) != item["id"]:
            found["id"] = False
        for key, column in columns.items():
            value = item["properties"].get(key)
            if column.kind not in _TEXT_KINDS or value is None or key in found:
                continue
            values = value if column.array else [value]
            if any(guard_cell(_as_text(v)) != _as_text(v) for v in values):
                found[key] = column.array
    return sorted(found.items())


def _unguard_note(
    nodes: list[dict[str, Any]],
    relationships: list[dict[str, Any]],
    node_columns: dict[str, _Column],
    rel_columns: dict[str, _Column],
) -> str:
    """README.txt's paragraph on the quotes guard_cell added, with the Cypher that takes
    them off after neo4j-admin (crimegraph's own import takes them off itself)."""
    statements = []
    pattern = cypher_string(_GUARDED_TEXT)
    for match, var, items, columns in (
        ("(n)", "n", nodes, node_columns),
        ("()-[r]->()", "r", relationships, rel_columns),
    ):
        for key, array in _guarded_keys(items, columns):
            prop = f"{var}.{key}"
            if array:
                statements.append(
                    f"MATCH {match} WHERE any(x IN {prop} WHERE x =~ {pattern}) "
                    f"SET {prop} = [x IN {prop} | "
                    f"CASE WHEN x =~ {pattern} THEN substring(x, 1) ELSE x END];"
                )
            else:
                statements.append(
                    f"MATCH {match} WHERE {prop} =~ {pattern} SET {prop} = substring({prop}, 1);"
                )
    note = (
        "\nText cells that begin with = + - @ tab or carriage return (or with quotes, then one\n"
        "of these) carry one added leading ' so that no spreadsheet runs them as formulas;\n"
        "`crimegraph import` takes it off"
    )
    if not statements:
        return note + ". No cell of these files has one.\n"
    return (
        note
        + ". After neo4j-admin, take it off with:\n\n"
        + "".join(f"  {statement}\n" for statement in statements)
    )


ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can hold: no clock in the bytes


def to_admin_csv_zip(snapshot: Snapshot) -> bytes:
    """to_admin_csv's files in one zip, the same bytes every time: names sorted, a fixed
    timestamp, fixed permissions and compression."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in sorted(to_admin_csv(snapshot).items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the host
            info.external_attr = 0o100644 << 16
            archive.writestr(info, text.encode("utf-8"), compresslevel=9)
    return out.getvalue()

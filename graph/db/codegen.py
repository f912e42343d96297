"""Files generated from the model: schema, upsert queries and the model's documentation.

`crimegraph model render` writes them; tests/test_model.py fails when a committed file
differs from what the model generates, so the model stays the one place to change.
Labels and types are written into Cypher here only because Cypher cannot take them as
parameters; they come from the validated model, never from input.
"""

from __future__ import annotations

from pathlib import Path

from graph.briefing.palette import FALLBACK_STYLE, LINK_COLOUR, STYLES, text_colour
from graph.db.queries import QuerySet
from graph.model.schema import Model, PropertySpec

GENERATED = "// Generated from graph/model/model.yaml by `crimegraph model render`; do not edit."
FULLTEXT_INDEX_NAME = "entity_search"


def _derived_date_note() -> str:
    return (
        "`<name>_precision` (year|month|day) and `<name>_day` (Neo4j date, when the day is known)"
    )


def render_schema(model: Model) -> str:
    lines = [GENERATED, "// Constraints and indexes; every statement is idempotent.", ""]
    fulltext: list[tuple[str, str]] = []
    for label, node in model.spec.nodes.items():
        for prop, spec in node.properties.items():
            if spec.unique:
                lines.append(
                    f"CREATE CONSTRAINT {label.lower()}_{prop}_unique IF NOT EXISTS "
                    f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE;"
                )
            if spec.index:
                # Dates are stored as ISO text, so a range index on the text orders them.
                lines.append(
                    f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop});"
                )
            if spec.fulltext:
                fulltext.append((label, prop))
    labels = {label for label, _ in fulltext}
    if len(labels) > 1:
        raise ValueError("fulltext properties must all belong to one label")
    if fulltext:
        label = fulltext[0][0]
        props = ", ".join(f"n.{prop}" for _, prop in fulltext)
        lines.append(
            f"CREATE FULLTEXT INDEX {FULLTEXT_INDEX_NAME} IF NOT EXISTS FOR (n:{label}) ON EACH [{props}];"
        )
    return "\n".join(lines) + "\n"


def render_upsert_nodes(model: Model) -> str:
    root = model.root_label
    example = '[{"id": "person-mohamed-amra-00000000", "label": "Person", "props": {"name": "Mohamed Amra"}}]'
    lines = [
        GENERATED,
        "// name: upsert_nodes",
        "// mode: write",
        "// description: Create or update nodes, each with all the labels of its model schema.",
        f"// param rows: LIST<MAP> = {example}",
        "// A node's labels are fixed when it is created (ArcadeDB cannot add one later, and",
        "// labels cannot be parameters), so each schema has its own MERGE, chosen per row.",
        "UNWIND $rows AS row",
    ]
    for label in model.node_labels:
        labels = ":".join(model.labels_of(label))
        lines.append(
            f"FOREACH (_ IN CASE WHEN row.label = '{label}' THEN [1] ELSE [] END |\n"
            f"  MERGE (n:{labels} {{id: row.id}}) SET n += row.props)"
        )
    lines.append("RETURN count(row) AS rows")
    assert root == "Entity", "the generated upserts assume the root label is Entity"
    return "\n".join(lines) + "\n"


CREATE_NODES_DIR = Path("cypher") / "queries" / "write" / "create_nodes"


def create_nodes_query(label: str) -> str:
    """The name of the query that creates new nodes of one schema."""
    return f"create_nodes_{label.lower()}"


def render_create_nodes(model: Model, label: str) -> str:
    """CREATE, one query per schema, for nodes known to be new (imports check first): on
    ArcadeDB a MERGE on several labels scans the label inside a transaction, and choosing
    the labels per row (one FOREACH per schema) slows the writes down (benchmarks/README.md)."""
    example = '[{"id": "entity-x-00000000", "props": {"id": "entity-x-00000000", "name": "X"}}]'
    labels = ":".join(model.labels_of(label))
    lines = [
        GENERATED,
        f"// name: {create_nodes_query(label)}",
        "// mode: write",
        f"// description: Create new {label} nodes, with all the labels of the schema (ids must be new).",
        f"// param rows: LIST<MAP> = {example}",
        "// The unique constraint on Entity.id refuses an id that exists, failing the transaction.",
        "UNWIND $rows AS row",
        f"CREATE (n:{labels})",
        "SET n = row.props",
        "RETURN count(n) AS rows",
    ]
    return "\n".join(lines) + "\n"


def render_upsert_relationships(model: Model) -> str:
    root = model.root_label
    example = (
        '[{"id": "attributed_to-x-00000000", "type": "ATTRIBUTED_TO", '
        '"from": "attack-x-00000000", "to": "criminalnetwork-y-00000000", "props": {}}]'
    )
    lines = [
        GENERATED,
        "// name: upsert_relationships",
        "// mode: write",
        "// description: Create or update relationships between existing nodes, by id.",
        f"// param rows: LIST<MAP> = {example}",
        "// Returns the rows whose endpoints were both found, so a caller can detect the rest.",
        "UNWIND $rows AS row",
        f"MATCH (a:{root} {{id: row.from}}), (b:{root} {{id: row.to}})",
    ]
    for rel_type in model.relationship_types:
        lines.append(
            f"FOREACH (_ IN CASE WHEN row.type = '{rel_type}' THEN [1] ELSE [] END |\n"
            f"  MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b) SET r += row.props)"
        )
    lines.append("RETURN count(row) AS rows")
    return "\n".join(lines) + "\n"


CREATE_RELATIONSHIPS_DIR = Path("cypher") / "queries" / "write" / "create_relationships"


def create_relationships_query(rel_type: str) -> str:
    """The name of the query that creates new relationships of one type."""
    return f"create_relationships_{rel_type.lower()}"


def render_create_relationships(model: Model, rel_type: str) -> str:
    """Claim and CREATE, one query per type, for relationships an import checked absent.
    A relationship's type cannot be a parameter, and choosing it per row (one FOREACH per
    type, as upsert_relationships does) made ArcadeDB write 2.3 times slower than a query
    per type (benchmarks/README.md)."""
    root = model.root_label
    example = (
        f'[{{"id": "{rel_type.lower()}-x-00000000", "from": "entity-a-00000000", '
        '"to": "entity-b-00000000", "props": {"confidence": 80}}]'
    )
    lines = [
        GENERATED,
        f"// name: {create_relationships_query(rel_type)}",
        "// mode: write",
        f"// description: Create {rel_type} relationships an import found absent, unless another writer created one since; returns how many were created.",
        f"// param rows: LIST<MAP> = {example}",
        "// Writing the ends (to their own id) locks them on Neo4j until commit, so the check",
        "// sees any relationship committed before; on ArcadeDB a concurrent writer of the same",
        "// ends fails one transaction at commit. A row whose end is missing or whose id exists",
        "// is not created: the caller compares the count with the rows it sent.",
        "UNWIND $rows AS row",
        f"MATCH (a:{root} {{id: row.from}}), (b:{root} {{id: row.to}})",
        "SET a.id = a.id, b.id = b.id",
        "WITH a, b, row",
        "OPTIONAL MATCH (a)-[existing]->(b)",
        "WHERE existing.id = row.id",
        "WITH a, b, row, count(existing) AS found",
        "WHERE found = 0",
        f"CREATE (a)-[r:{rel_type}]->(b)",
        "SET r = row.props, r.id = row.id",
        "RETURN count(r) AS rows",
    ]
    return "\n".join(lines) + "\n"


def _property_rows(props: dict[str, PropertySpec]) -> list[str]:
    rows = []
    for name, spec in props.items():
        flags = [
            f for f in ("required", "derived", "unique", "index", "fulltext") if getattr(spec, f)
        ]
        if spec.enum:
            flags.append("one of " + ", ".join(f"`{v}`" for v in spec.enum))
        if spec.min is not None or spec.max is not None:
            flags.append(f"{spec.min}..{spec.max}")
        if spec.pattern is not None:
            flags.append(f"matches `{spec.pattern}`")
        rows.append(f"| `{name}` | {spec.type} | {'; '.join(flags)} | {spec.description} |")
    return rows


def render_docs(model: Model) -> str:
    out = [
        "# The crimegraph model",
        "",
        "Generated from `graph/model/model.yaml` by `crimegraph model render`; do not edit.",
        "",
        f"Every `date` property also gets {_derived_date_note()}.",
        "",
        "## Provenance (on every node and relationship)",
        "",
        "| property | type | flags | description |",
        "|---|---|---|---|",
        *_property_rows(model.provenance),
        "",
        "## Node labels",
        "",
    ]
    for label, node in model.spec.nodes.items():
        labels = ":".join(model.labels_of(label))
        kind = "abstract" if node.abstract else f"`:{labels}`"
        ftm = f" FollowTheMoney: `{node.ftm}`." if node.ftm else ""
        out += [f"### {label}", "", f"{kind}. {node.description}{ftm}", ""]
        if node.properties:
            out += ["| property | type | flags | description |", "|---|---|---|---|"]
            out += _property_rows(node.properties)
            out.append("")
    out += ["## Relationship types", ""]
    for rel_type, rel in model.spec.relationships.items():
        ftm = f" FollowTheMoney: `{rel.ftm}`." if rel.ftm else ""
        ends = f"({' | '.join(rel.from_)})-[:{rel_type}]->({' | '.join(rel.to)})"
        out += [f"### {rel_type}", "", f"`{ends}`. {rel.description}{ftm}", ""]
        if rel.properties:
            out += ["| property | type | flags | description |", "|---|---|---|---|"]
            out += _property_rows(rel.properties)
            out.append("")
    return "\n".join(out).rstrip() + "\n"


GUIDE_ORDER = (
    "search_entities",
    "entity_detail",
    "entity_links",
    "expand_frontier",
    "network_facility_links",
    "incidents",
    "source_claims",
    "graph_totals",
    "label_counts",
    "relationship_type_counts",
)


def render_guide(queries: QuerySet) -> str:
    """The analysts' walk through the named read queries, each as a Browser-ready block."""
    reads = [q for q in queries.values() if q.mode == "read"]
    ordered = sorted(
        reads,
        key=lambda q: (
            GUIDE_ORDER.index(q.name) if q.name in GUIDE_ORDER else len(GUIDE_ORDER),
            q.name,
        ),
    )
    out = [
        "# The named queries, step by step",
        "",
        "Generated from `cypher/queries/` by `crimegraph model render`; do not edit.",
        "",
        "Each block is what `crimegraph query show NAME --browser` prints: paste it into the",
        "Neo4j Browser (with `cypher/browser/style.grass` loaded for colours and captions) to run",
        "exactly what the API runs. Change the `:param` values to ask about other entities; ids",
        "come from `search_entities`. The examples name entities of the seed dataset.",
        "",
    ]
    for number, query in enumerate(ordered, start=1):
        out += [
            f"## {number}. `{query.name}`",
            "",
            query.description,
            "",
            "```cypher",
            query.browser_block().rstrip(),
            "```",
            "",
        ]
    return "\n".join(out).rstrip() + "\n"


def render_grass(model: Model) -> str:
    """A Neo4j Browser style from graph.briefing.palette: each label of the model in its own colour
    (the one the pictures and /explore use), captioned by name; each relationship type of the
    model with its own rule, captioned by type (dashed and contradicted links cannot be drawn
    by the Browser, so only the type is shown)."""
    missing = [label for label in model.node_labels if label not in STYLES]
    if missing:
        raise ValueError(f"graph/briefing/palette.py has no style for {', '.join(missing)}")
    lines = [
        "/* Generated from graph/model/model.yaml and graph/briefing/palette.py by `crimegraph model render`. */",
        "/* Load in the Neo4j Browser: drag this file onto the Browser, or :style then paste. */",
        "node {",
        "  diameter: 50px;",
        f"  color: {FALLBACK_STYLE.fill};",
        f"  border-color: {FALLBACK_STYLE.stroke};",
        "  border-width: 2px;",
        f"  text-color-internal: {text_colour(FALLBACK_STYLE.fill)};",
        "  font-size: 10px;",
        "  caption: '{name}';",
        "}",
        "relationship {",
        f"  color: {LINK_COLOUR};",
        "  shaft-width: 1px;",
        "  font-size: 8px;",
        "  padding: 3px;",
        "  text-color-external: #000000;",
        "  text-color-internal: #FFFFFF;",
        "  caption: '<type>';",
        "}",
    ]
    # Less specific labels first: the Browser applies the last matching rule.
    depth = {label: len(model.labels_of(label)) for label in model.spec.nodes}
    for label in sorted(model.spec.nodes, key=lambda x: (depth[x], x)):
        style = STYLES.get(label)
        if style is None:
            continue  # the abstract root: the `node` rule above
        lines += [
            f"node.{label} {{",
            f"  color: {style.fill};",
            f"  border-color: {style.stroke};",
            f"  text-color-internal: {text_colour(style.fill)};",
            "  caption: '{name}';",
            "}",
        ]
    for rel_type in model.relationship_types:
        lines += [
            f"relationship.{rel_type} {{",
            f"  color: {LINK_COLOUR};",
            "  shaft-width: 1px;",
            "  text-color-external: #000000;",
            "  caption: '<type>';",
            "}",
        ]
    return "\n".join(lines) + "\n"


def generated_files(model: Model, repo_root: Path) -> dict[Path, str]:
    """Every generated file, by path, with the content the model gives it."""
    queries = QuerySet.load(repo_root / "cypher" / "queries")
    return {
        repo_root / "cypher" / "guide.md": render_guide(queries),
        repo_root / "cypher" / "browser" / "style.grass": render_grass(model),
        repo_root / "cypher" / "schema" / "model.cypher": render_schema(model),
        repo_root / "cypher" / "queries" / "write" / "upsert_nodes.cypher": render_upsert_nodes(
            model
        ),
        repo_root
        / "cypher"
        / "queries"
        / "write"
        / "upsert_relationships.cypher": render_upsert_relationships(model),
        repo_root / "docs" / "model.md": render_docs(model),
        **{
            repo_root / CREATE_NODES_DIR / f"{create_nodes_query(label)}.cypher": (
                render_create_nodes(model, label)
            )
            for label in model.node_labels
        },
        **{
            repo_root
            / CREATE_RELATIONSHIPS_DIR
            / f"{create_relationships_query(rel_type)}.cypher": (
                render_create_relationships(model, rel_type)
            )
            for rel_type in model.relationship_types
        },
    }


def stale_files(model: Model, repo_root: Path) -> list[Path]:
    """The generated files missing or differing from what the model gives them."""
    return [
        path
        for path, text in generated_files(model, repo_root).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def write_generated(model: Model, repo_root: Path) -> list[Path]:
    """Write every generated file; the paths written."""
    files = generated_files(model, repo_root)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)

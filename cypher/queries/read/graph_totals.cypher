// name: graph_totals
// mode: read
// description: How many entities and relationships between them the knowledge graph holds.
// audience: plumbing
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// Records about the graph (snapshots) are not part of it and are not counted.
CALL {
  MATCH (n:Entity)
  WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
  RETURN count(n) AS nodes
}
CALL {
  MATCH (a:Entity)-[r]->(b:Entity)
  WHERE (a.handling IS NULL OR $handling_all OR a.handling IN $handling_codes)
    AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
    AND (b.handling IS NULL OR $handling_all OR b.handling IN $handling_codes)
  RETURN count(r) AS relationships
}
RETURN nodes, relationships

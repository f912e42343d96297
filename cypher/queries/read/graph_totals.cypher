// name: graph_totals
// mode: read
// description: How many entities and relationships between them the knowledge graph holds.
// Records about the graph (snapshots) are not part of it and are not counted.
CALL {
  MATCH (n:Entity)
  RETURN count(n) AS nodes
}
CALL {
  MATCH (:Entity)-[r]->(:Entity)
  RETURN count(r) AS relationships
}
RETURN nodes, relationships

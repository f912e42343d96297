// name: canonical_dump
// mode: read
// description: Test-only: every node and relationship with all properties, in a stable order.
CALL {
  MATCH (n)
  RETURN 'node' AS kind, n.id AS id, labels(n) AS labels, properties(n) AS properties,
         null AS from_id, null AS to_id
  UNION ALL
  MATCH (a)-[r]->(b)
  RETURN 'rel' AS kind, r.id AS id, [type(r)] AS labels, properties(r) AS properties,
         a.id AS from_id, b.id AS to_id
}
RETURN kind, id, labels, properties, from_id, to_id
ORDER BY kind, id

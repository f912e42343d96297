// name: canonical_dump
// mode: read
// description: Test-only: every node and relationship with all properties, in a stable order.
// The session's admin key (tests/conftest.py) is the test harness's, not the test's, and the
// :SchemaVersion record (graph/db/migrations.py) is the database's: both left out.
CALL {
  MATCH (n)
  WHERE NOT (n:ApiKey AND n.created_by = 'tests/conftest.py') AND NOT n:SchemaVersion
  RETURN 'node' AS kind, n.id AS id, labels(n) AS labels, properties(n) AS properties,
         null AS from_id, null AS to_id
  UNION ALL
  MATCH (a)-[r]->(b)
  RETURN 'rel' AS kind, r.id AS id, [type(r)] AS labels, properties(r) AS properties,
         a.id AS from_id, b.id AS to_id
}
RETURN kind, id, labels, properties, from_id, to_id
ORDER BY kind, id

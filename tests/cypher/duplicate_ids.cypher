// name: duplicate_ids
// mode: read
// description: Test-only: every id that more than one node, or more than one relationship, holds, with how many hold it.
CALL {
  MATCH (n)
  WHERE n.id IS NOT NULL
  WITH n.id AS id, count(n) AS copies
  WHERE copies > 1
  RETURN 'node' AS kind, id, copies
  UNION ALL
  MATCH ()-[r]->()
  WHERE r.id IS NOT NULL
  WITH r.id AS id, count(r) AS copies
  WHERE copies > 1
  RETURN 'rel' AS kind, id, copies
}
RETURN kind, id, copies
ORDER BY kind, id

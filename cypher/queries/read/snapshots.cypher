// name: snapshots
// mode: read
// description: Stored snapshots, newest first.
// param limit: INTEGER = 50
MATCH (s:Snapshot)
RETURN s.id AS id, s.title AS title, s.created AS created, s.nodes AS nodes, s.relationships AS relationships
ORDER BY s.created DESC, s.id
LIMIT $limit

// name: snapshots
// mode: read
// description: Stored snapshots, newest first.
// audience: plumbing
// param limit: INTEGER = 50
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (s:Snapshot)
WHERE $handling_all OR all(code IN coalesce(s.handling, []) WHERE code IN $handling_codes)
RETURN s.id AS id, s.title AS title, s.created AS created, s.nodes AS nodes, s.relationships AS relationships
ORDER BY s.created DESC, s.id
LIMIT $limit

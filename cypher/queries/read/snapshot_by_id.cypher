// name: snapshot_by_id
// mode: read
// description: A stored snapshot (its JSON document) by id.
// audience: plumbing
// param id: STRING = "snapshot-3f2a9c0d1e4b5a6f"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (s:Snapshot {id: $id})
// s.handling: the codes of the restricted items it holds; the caller must hold them all.
WHERE $handling_all OR all(code IN coalesce(s.handling, []) WHERE code IN $handling_codes)
RETURN s.id AS id, s.payload AS payload

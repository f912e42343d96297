// name: resolution_decision
// mode: read
// description: One resolution decision with its undo record (the exact state before a merge).
// audience: plumbing
// param decision: STRING = "decision-person-mohamed-amra-2da800b3-0a1b2c3d"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (d:Decision {id: $decision})
// A decision (and its undo record, which holds both entities' properties) is shown only to
// callers who may see both entities.
OPTIONAL MATCH (l:Entity {id: d.left_id})
OPTIONAL MATCH (r:Entity {id: d.right_id})
WITH d, l, r
WHERE (l.handling IS NULL OR $handling_all OR l.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
RETURN properties(d) AS decision

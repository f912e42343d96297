// name: resolution_decisions
// mode: read
// description: Analysts' resolution decisions (all, or those about one entity), oldest first, without their undo records.
// audience: plumbing
// param entity_id: STRING = ""
// param limit: INTEGER = 1000
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// An empty entity_id means every decision.
MATCH (d:Decision)
WHERE $entity_id = '' OR d.left_id = $entity_id OR d.right_id = $entity_id
OPTIONAL MATCH (l:Entity {id: d.left_id})
OPTIONAL MATCH (r:Entity {id: d.right_id})
WITH d, l, r
WHERE (l.handling IS NULL OR $handling_all OR l.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
RETURN d.id AS id, d.left_id AS left_id, d.right_id AS right_id, d.judgement AS judgement,
       d.status AS status, d.score AS score, d.reasons AS reasons, d.note AS note,
       d.decided_by AS decided_by, d.decided_at AS decided_at, d.canonical_id AS canonical_id,
       d.merged_id AS merged_id, d.moved_relationships AS moved_relationships,
       d.undone_by AS undone_by, d.undone_at AS undone_at
ORDER BY decided_at, id
LIMIT $limit

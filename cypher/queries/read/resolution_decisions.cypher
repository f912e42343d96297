// name: resolution_decisions
// mode: read
// description: Analysts' resolution decisions (all, or those about one entity), oldest first, without their undo records.
// param entity_id: STRING = ""
// param limit: INTEGER = 1000
// An empty entity_id means every decision.
MATCH (d:Decision)
WHERE $entity_id = '' OR d.left_id = $entity_id OR d.right_id = $entity_id
RETURN d.id AS id, d.left_id AS left_id, d.right_id AS right_id, d.judgement AS judgement,
       d.status AS status, d.score AS score, d.reasons AS reasons, d.note AS note,
       d.decided_by AS decided_by, d.decided_at AS decided_at, d.canonical_id AS canonical_id,
       d.merged_id AS merged_id, d.moved_relationships AS moved_relationships,
       d.undone_by AS undone_by, d.undone_at AS undone_at
ORDER BY decided_at, id
LIMIT $limit

// name: undo_decision
// mode: write
// description: Mark an active resolution decision undone (by whom, when); returns 0 when it was not active.
// param id: STRING = "decision-person-mohamed-amra-2da800b3-0a1b2c3d"
// param undone_by: STRING = "analyst"
// param undone_at: STRING = "2026-11-22T17:00:00.000000Z"
MATCH (d:Decision {id: $id})
WHERE d.status = 'active'
SET d.status = 'undone', d.undone_by = $undone_by, d.undone_at = $undone_at
RETURN count(d) AS undone

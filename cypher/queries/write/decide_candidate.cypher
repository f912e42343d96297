// name: decide_candidate
// mode: write
// description: Record an analyst's decision on a pending candidate (accepted or rejected); no row when it was not pending.
// param candidate: STRING = "candidate-le-monde-00000000"
// param decision: MAP = {"status": "rejected", "decided_by": "analyst", "decided_at": "2026-11-22T15:30:00Z"}
MATCH (c:Candidate {id: $candidate})
WHERE c.status = 'pending'
SET c += $decision
RETURN c.id AS id, c.status AS status

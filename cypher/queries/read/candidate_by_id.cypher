// name: candidate_by_id
// mode: read
// description: One candidate entity proposed by ingestion, with its review status.
// audience: plumbing
// param candidate: STRING = "candidate-le-monde-00000000"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (c:Candidate {id: $candidate})
// A candidate is seen with its document.
OPTIONAL MATCH (d:Document {id: c.document_id})
WITH c, d
WHERE (d.handling IS NULL OR $handling_all OR d.handling IN $handling_codes)
RETURN properties(c) AS candidate

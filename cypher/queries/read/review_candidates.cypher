// name: review_candidates
// mode: read
// description: Candidate entities proposed by ingestion, optionally only those of one status or one document ('' = any).
// audience: plumbing
// param status: STRING = "pending"
// param document_id: STRING = ""
// param skip: INTEGER = 0
// param limit: INTEGER = 100
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// In document order: by document, then by where the candidate first appears in it.
MATCH (c:Candidate)
WHERE ($status = '' OR c.status = $status)
  AND ($document_id = '' OR c.document_id = $document_id)
// A candidate is seen with its document.
OPTIONAL MATCH (d:Document {id: c.document_id})
WITH c, d
WHERE (d.handling IS NULL OR $handling_all OR d.handling IN $handling_codes)
RETURN c.id AS id, c.document_id AS document_id, c.first_start AS first_start,
       properties(c) AS candidate
ORDER BY document_id, first_start, id
SKIP $skip
LIMIT $limit

// name: review_candidates
// mode: read
// description: Candidate entities proposed by ingestion, optionally only those of one status or one document ('' = any).
// param status: STRING = "pending"
// param document_id: STRING = ""
// param skip: INTEGER = 0
// param limit: INTEGER = 100
// In document order: by document, then by where the candidate first appears in it.
MATCH (c:Candidate)
WHERE ($status = '' OR c.status = $status)
  AND ($document_id = '' OR c.document_id = $document_id)
RETURN c.id AS id, c.document_id AS document_id, c.first_start AS first_start,
       properties(c) AS candidate
ORDER BY document_id, first_start, id
SKIP $skip
LIMIT $limit

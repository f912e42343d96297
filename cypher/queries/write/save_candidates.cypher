// name: save_candidates
// mode: write
// description: Store entity candidates for review; a candidate stored before (pending, accepted or rejected) is left as it is.
// param rows: LIST<MAP> = [{"id": "candidate-le-monde-00000000", "props": {"text": "Le Monde", "status": "pending"}}]
// A :Candidate is not an :Entity: it waits outside the graph until an analyst decides.
UNWIND $rows AS row
MERGE (c:Candidate {id: row.id})
ON CREATE SET c += row.props
RETURN c.id AS id, c.status AS status, c.entity_id AS entity_id

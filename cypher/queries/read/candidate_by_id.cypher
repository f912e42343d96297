// name: candidate_by_id
// mode: read
// description: One candidate entity proposed by ingestion, with its review status.
// param candidate: STRING = "candidate-le-monde-00000000"
MATCH (c:Candidate {id: $candidate})
RETURN properties(c) AS candidate

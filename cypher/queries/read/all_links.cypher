// name: all_links
// mode: read
// description: Every link that passes the type, confidence and grading filters (for whole-graph analytics), up to a cap.
// param types: LIST<STRING> = ["ATTRIBUTED_TO", "OCCURRED_AT", "TARGETED", "INVOLVED"]
// param min_confidence: INTEGER = 0
// param max_reliability: STRING = "F"
// param max_credibility: INTEGER = 6
// param limit: INTEGER = 100000
MATCH (a:Entity)-[r]->(b:Entity)
WHERE type(r) IN $types
  AND r.confidence >= $min_confidence
  AND r.reliability <= $max_reliability AND r.credibility <= $max_credibility
RETURN a.id AS from_id, b.id AS to_id, r.id AS id, type(r) AS type
LIMIT $limit

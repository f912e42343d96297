// name: all_links
// mode: read
// description: Every link that passes the type, confidence and grading filters (for whole-graph analytics), up to a cap.
// audience: plumbing
// param types: LIST<STRING> = ["ATTRIBUTED_TO", "OCCURRED_AT", "TARGETED", "INVOLVED"]
// param min_confidence: INTEGER = 0
// param max_reliability: STRING = "F"
// param max_credibility: INTEGER = 6
// param limit: INTEGER = 1000
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (a:Entity)-[r]->(b:Entity)
WHERE type(r) IN $types
  AND r.confidence >= $min_confidence
  AND r.reliability <= $max_reliability AND r.credibility <= $max_credibility
 
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (a.handling IS NULL OR $handling_all OR a.handling IN $handling_codes)
  AND (b.handling IS NULL OR $handling_all OR b.handling IN $handling_codes)
RETURN a.id AS from_id, b.id AS to_id, r.id AS id, type(r) AS type
LIMIT $limit

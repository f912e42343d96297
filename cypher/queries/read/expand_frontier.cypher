// name: expand_frontier
// mode: read
// description: One breadth-first step: the links from these entities that pass the type, confidence, grading and date filters.
// audience: investigator
// param ids: LIST<STRING> = ["company-oportik-34ffa123"]
// param types: LIST<STRING> = ["RESOLD", "SUPPLIED", "TARGETED", "OWNERSHIP", "SEIZED"]
// param min_confidence: INTEGER = 0
// param max_reliability: STRING = "F"
// param max_credibility: INTEGER = 6
// param since: STRING = "0000"
// param until: STRING = "9999"
// param limit: INTEGER = 1000
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// Paths, neighbourhoods and key players are built from this step, one hop at a time, so the
// filters hold on every hop on every engine (ArcadeDB applies a shortestPath WHERE only after
// the search). A neighbour whose date lies outside since..until is not entered; a date and
// a bound are compared cut to the shorter of the two, so "2024-04" overlaps "2024-04-10".
// The neighbour's name, labels and date come along: a neighbourhood needs no second lookup
// of its entities (a third of a 2-hop's time, benchmarks/README.md).
// Ordered, so that a step cut at $limit is a prefix of the same step cut further on: the
// pages of one neighbourhood (each computed up to its own end) then never overlap.
UNWIND $ids AS node_id
MATCH (n:Entity {id: node_id})-[r]-(m:Entity)
WHERE type(r) IN $types
  AND r.confidence >= $min_confidence
  AND r.reliability <= $max_reliability
  AND r.credibility <= $max_credibility
 
  AND (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (m.handling IS NULL OR $handling_all OR m.handling IN $handling_codes)
  AND (m.date IS NULL OR (left(m.date, size($since)) >= left($since, size(m.date))
                           AND left(m.date, size($until)) <= left($until, size(m.date))))
RETURN n.id AS node_id, m.id AS neighbor_id, m.name AS neighbor_name, labels(m) AS neighbor_labels,
       m.date AS neighbor_date, m.date_precision AS neighbor_date_precision,
       r.id AS id, type(r) AS type,
       startNode(r).id AS from_id, endNode(r).id AS to_id,
       r.source_ids AS source_ids, r.quote AS quote, r.confidence AS confidence,
       r.reliability AS reliability, r.credibility AS credibility
ORDER BY node_id, id
LIMIT $limit

// name: entities_by_ids
// mode: read
// description: Short summaries (name, labels, date, grading) of the entities with these ids.
// audience: plumbing
// param ids: LIST<STRING> = ["person-mohamed-amra-2da800b3", "company-oportik-34ffa123"]
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
UNWIND $ids AS wanted
MATCH (n:Entity {id: wanted})
WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN n.id AS id, n.name AS name, labels(n) AS labels, n.date AS date,
       n.date_precision AS date_precision, n.source_ids AS source_ids,
       n.confidence AS confidence, n.reliability AS reliability, n.credibility AS credibility,
       n.handling AS handling

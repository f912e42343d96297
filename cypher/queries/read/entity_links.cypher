// name: entity_links
// mode: read
// description: The direct links of an entity, each with its evidence (sources and quote).
// audience: investigator
// param id: STRING = "person-mohamed-amra-2da800b3"
// param limit: INTEGER = 100
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (n:Entity {id: $id})-[r]-(other:Entity)
WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (other.handling IS NULL OR $handling_all OR other.handling IN $handling_codes)
RETURN type(r) AS type,
       startNode(r).id = n.id AS outgoing,
       other.id AS other_id,
       other.name AS other_name,
       labels(other) AS other_labels,
       r.source_ids AS source_ids,
       r.quote AS quote,
       r.confidence AS confidence,
       r.reliability + toString(r.credibility) AS grading
ORDER BY type, other_name
LIMIT $limit

// name: entity_detail
// mode: read
// description: One entity with all its properties and provenance, and its relationships counted by type.
// audience: investigator
// param id: STRING = "person-mohamed-amra-2da800b3"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (n:Entity {id: $id})
WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
OPTIONAL MATCH (n)-[r]-(m)
WHERE (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (m.handling IS NULL OR $handling_all OR m.handling IN $handling_codes)
WITH n, type(r) AS type, count(r) AS count
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties,
       collect(CASE WHEN type IS NULL THEN null ELSE {type: type, count: count} END) AS relationship_counts

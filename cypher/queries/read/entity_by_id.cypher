// name: entity_by_id
// mode: read
// description: One entity with its labels, properties and provenance.
// audience: plumbing
// param id: STRING = "person-mohamed-amra-2da800b3"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (n:Entity {id: $id})
WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties

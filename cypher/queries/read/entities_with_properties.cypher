// name: entities_with_properties
// mode: read
// description: Full records (labels and properties, search text and document text aside) of the entities with these ids.
// audience: plumbing
// param ids: LIST<STRING> = ["person-mohamed-amra-2da800b3"]
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
UNWIND $ids AS wanted
MATCH (n:Entity {id: wanted})
WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties
ORDER BY id

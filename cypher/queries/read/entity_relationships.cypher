// name: entity_relationships
// mode: read
// description: Every relationship of one entity, in both directions and of every type (MENTIONS included), with all its properties and the labels of both ends.
// audience: investigator
// param id: STRING = "person-mohamed-amra-2da800b3"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (n:Entity {id: $id})-[r]-(m)
WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (m.handling IS NULL OR $handling_all OR m.handling IN $handling_codes)
WITH DISTINCT r
RETURN r.id AS id, type(r) AS type, startNode(r).id AS from_id, endNode(r).id AS to_id,
       labels(startNode(r)) AS from_labels, labels(endNode(r)) AS to_labels,
       properties(r) AS properties
ORDER BY id

// name: entity_by_id
// mode: read
// description: One entity with its labels, properties and provenance.
// param id: STRING = "person-mohamed-amra-2da800b3"
MATCH (n:Entity {id: $id})
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties

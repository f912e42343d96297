// name: entity_detail
// mode: read
// description: One entity with all its properties and provenance, and its relationships counted by type.
// param id: STRING = "person-mohamed-amra-2da800b3"
MATCH (n:Entity {id: $id})
OPTIONAL MATCH (n)-[r]-()
WITH n, type(r) AS type, count(r) AS count
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties,
       collect(CASE WHEN type IS NULL THEN null ELSE {type: type, count: count} END) AS relationship_counts

// name: entity_relationships
// mode: read
// description: Every relationship of one entity, in both directions and of every type (MENTIONS included), with all its properties and the labels of both ends.
// param id: STRING = "person-mohamed-amra-2da800b3"
MATCH (n:Entity {id: $id})-[r]-()
WITH DISTINCT r
RETURN r.id AS id, type(r) AS type, startNode(r).id AS from_id, endNode(r).id AS to_id,
       labels(startNode(r)) AS from_labels, labels(endNode(r)) AS to_labels,
       properties(r) AS properties
ORDER BY id

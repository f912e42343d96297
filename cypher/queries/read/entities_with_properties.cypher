// name: entities_with_properties
// mode: read
// description: Full records (labels and properties, search text and document text aside) of the entities with these ids.
// param ids: LIST<STRING> = ["person-mohamed-amra-2da800b3"]
UNWIND $ids AS wanted
MATCH (n:Entity {id: wanted})
RETURN n.id AS id, labels(n) AS labels, properties(n) AS properties
ORDER BY id

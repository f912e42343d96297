// name: relationships_from
// mode: read
// description: The relationships that start at the given entities and end at an entity, with their properties; only those of dataset $dataset when it is not empty.
// param ids: LIST<STRING> = ["person-mohamed-amra-2da800b3"]
// param dataset: STRING = ""
UNWIND $ids AS wanted
MATCH (a:Entity {id: wanted})-[r]->(b:Entity)
WHERE $dataset = '' OR $dataset IN coalesce(r.dataset_ids, [])
RETURN r.id AS id, type(r) AS type, a.id AS from_id, b.id AS to_id, properties(r) AS properties

// name: entity_ids
// mode: read
// description: The id of every entity, or of those of dataset $dataset when it is not empty (exports read the rest by id).
// param dataset: STRING = ""
// Unordered: ordering a whole graph per page costs a sort each time; the caller sorts once.
MATCH (n:Entity)
WHERE $dataset = '' OR $dataset IN coalesce(n.dataset_ids, [])
RETURN n.id AS id

// name: delete_entity_relationships
// mode: write
// description: Delete the relationships with these ids among one entity's relationships (a merge or its undo re-creates them elsewhere, same id and properties).
// param entity_id: STRING = "person-mohamed-amra-5e6f7a8b"
// param ids: LIST<STRING> = ["involved-mohamed-amra-la-mouche-escape-0a1b2c3d"]
// Returns how many were deleted, so the caller can refuse a state it did not expect.
MATCH (n:Entity {id: $entity_id})-[r]-()
WHERE r.id IN $ids
WITH DISTINCT r
DELETE r
RETURN count(*) AS deleted

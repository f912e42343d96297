// name: replace_entity_properties
// mode: write
// description: Replace the whole property map of entities, each only if its merged_into is still the expected one ('' for none).
// param rows: LIST<MAP> = [{"id": "person-mohamed-amra-2da800b3", "merged_into": "", "props": {"id": "person-mohamed-amra-2da800b3", "name": "Mohamed Amra"}}]
// The guard makes a merge or undo that raced another one change nothing: the caller
// compares the count returned with the rows sent and rolls the transaction back.
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
WHERE coalesce(n.merged_into, '') = row.merged_into
SET n = row.props
RETURN count(n) AS replaced

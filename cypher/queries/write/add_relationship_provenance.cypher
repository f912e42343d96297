// name: add_relationship_provenance
// mode: write
// description: Set the provenance lists (source_ids, quotes, dataset_ids) of existing relationships, by id and ends; other properties are left as they are.
// param rows: LIST<MAP> = [{"id": "membership-x-00000000", "from": "person-x-00000000", "to": "criminalnetwork-y-00000000", "props": {"dataset_ids": ["dataset-3f2a9c0d1e4b5a6f-1a2b3c4d"]}}]
// Returns how many rows found their relationship, so a caller can detect the rest.
UNWIND $rows AS row
MATCH (a:Entity {id: row.from})-[r]->(b:Entity {id: row.to})
WHERE r.id = row.id
SET r += row.props
RETURN count(r) AS rows

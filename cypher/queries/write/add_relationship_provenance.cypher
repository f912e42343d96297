// name: add_relationship_provenance
// mode: write
// description: Add to the provenance lists (source_ids, quotes, dataset_ids) of existing relationships, by id and ends; other properties are left as they are.
// param rows: LIST<MAP> = [{"id": "membership-x-00000000", "from": "person-x-00000000", "to": "criminalnetwork-y-00000000", "props": {"dataset_ids": ["dataset-3f2a9c0d1e4b5a6f-1a2b3c4d"]}}]
// The union is taken here, on the stored lists (see add_node_provenance).
// Returns how many rows found their relationship, so a caller can detect the rest.
UNWIND $rows AS row
MATCH (a:Entity {id: row.from})-[r]->(b:Entity {id: row.to})
WHERE r.id = row.id
SET r.source_ids = coalesce(r.source_ids, []) +
      [x IN coalesce(row.props.source_ids, []) WHERE NOT x IN coalesce(r.source_ids, [])],
    r.quotes = coalesce(r.quotes, []) +
      [x IN coalesce(row.props.quotes, []) WHERE NOT x IN coalesce(r.quotes, [])],
    r.dataset_ids = coalesce(r.dataset_ids, []) +
      [x IN coalesce(row.props.dataset_ids, []) WHERE NOT x IN coalesce(r.dataset_ids, [])]
RETURN count(r) AS rows

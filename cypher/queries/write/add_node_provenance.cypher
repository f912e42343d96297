// name: add_node_provenance
// mode: write
// description: Set the provenance lists (source_ids, quotes, dataset_ids) of existing nodes, by id; other properties are left as they are.
// param rows: LIST<MAP> = [{"id": "person-mohamed-amra-00000000", "props": {"source_ids": ["document-a-00000000"], "quotes": ["..."], "dataset_ids": ["dataset-3f2a9c0d1e4b5a6f-1a2b3c4d"]}}]
// Returns how many rows found their node, so a caller can detect the rest.
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
SET n += row.props
RETURN count(n) AS rows

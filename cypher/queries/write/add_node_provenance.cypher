// name: add_node_provenance
// mode: write
// description: Add to the provenance lists (source_ids, quotes, dataset_ids) of existing nodes, by id; other properties are left as they are.
// param rows: LIST<MAP> = [{"id": "person-mohamed-amra-00000000", "props": {"source_ids": ["document-a-00000000"], "quotes": ["..."], "dataset_ids": ["dataset-3f2a9c0d1e4b5a6f-1a2b3c4d"]}}]
// The union is taken here, on the stored lists, not on those the caller read earlier: two
// imports that both add to one node keep both their items (stored items first).
// Returns how many rows found their node, so a caller can detect the rest.
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
SET n.source_ids = coalesce(n.source_ids, []) +
      [x IN coalesce(row.props.source_ids, []) WHERE NOT x IN coalesce(n.source_ids, [])],
    n.quotes = coalesce(n.quotes, []) +
      [x IN coalesce(row.props.quotes, []) WHERE NOT x IN coalesce(n.quotes, [])],
    n.dataset_ids = coalesce(n.dataset_ids, []) +
      [x IN coalesce(row.props.dataset_ids, []) WHERE NOT x IN coalesce(n.dataset_ids, [])]
RETURN count(n) AS rows

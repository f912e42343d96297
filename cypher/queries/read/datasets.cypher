// name: datasets
// mode: read
// description: The records of imports (Datasets), newest first.
// audience: plumbing
// param limit: INTEGER = 50
MATCH (d:Dataset)
RETURN d.id AS id, d.file_name AS file_name, d.format AS format, d.sha256 AS sha256,
       d.nodes AS nodes, d.relationships AS relationships, d.new_nodes AS new_nodes,
       d.new_relationships AS new_relationships, d.imported_by AS imported_by,
       d.imported_at AS imported_at, d.options AS options
ORDER BY imported_at DESC, id
LIMIT $limit

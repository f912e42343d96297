// name: dataset_by_id
// mode: read
// description: The record of one import (a Dataset): file, hash, counts, who ran it and when.
// audience: plumbing
// param dataset: STRING = "dataset-3f2a9c0d1e4b5a6f-1a2b3c4d"
MATCH (d:Dataset {id: $dataset})
RETURN d.id AS id, d.file_name AS file_name, d.format AS format, d.sha256 AS sha256,
       d.nodes AS nodes, d.relationships AS relationships, d.new_nodes AS new_nodes,
       d.new_relationships AS new_relationships, d.imported_by AS imported_by,
       d.imported_at AS imported_at, d.options AS options

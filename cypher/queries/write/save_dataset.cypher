// name: save_dataset
// mode: write
// description: Record an import (a Dataset); the id comes from the file's hash, so recording the same import again changes nothing.
// param id: STRING = "dataset-3f2a9c0d1e4b5a6f-1a2b3c4d"
// param file_name: STRING = "people.ftm.jsonl"
// param format: STRING = "ftm"
// param sha256: STRING = "3f2a9c0d1e4b5a6f..."
// param nodes: INTEGER = 120
// param relationships: INTEGER = 340
// param new_nodes: INTEGER = 118
// param new_relationships: INTEGER = 340
// param imported_by: STRING = "analyst"
// param imported_at: STRING = "2026-11-22T15:30:00Z"
// param options: STRING = "{}"
// A :Dataset is not an :Entity: it is a record about the graph, kept outside it.
MERGE (d:Dataset {id: $id})
ON CREATE SET d.file_name = $file_name, d.format = $format, d.sha256 = $sha256,
              d.nodes = $nodes, d.relationships = $relationships, d.new_nodes = $new_nodes,
              d.new_relationships = $new_relationships, d.imported_by = $imported_by,
              d.imported_at = $imported_at, d.options = $options
RETURN d.id AS id

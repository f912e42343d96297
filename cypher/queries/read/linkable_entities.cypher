// name: linkable_entities
// mode: read
// description: Every entity a document can mention (documents and merged-away entities left out), with its names.
// Ingestion builds its name matcher from these rows.
MATCH (n:Entity)
WHERE NOT n:Document AND n.merged_into IS NULL
RETURN n.id AS id, n.name AS name, n.aliases AS aliases, labels(n) AS labels
ORDER BY id

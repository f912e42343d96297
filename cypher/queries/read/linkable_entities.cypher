// name: linkable_entities
// mode: read
// description: Every entity a document can mention (documents and merged-away entities left out), with its names.
// audience: plumbing
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// Ingestion builds its name matcher from these rows.
MATCH (n:Entity)
WHERE NOT n:Document AND n.merged_into IS NULL
  AND (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN n.id AS id, n.name AS name, n.aliases AS aliases, labels(n) AS labels
ORDER BY id

// name: entity_why
// mode: read
// description: What made an entity: its sources (each document with the quotes that cite it), the datasets that brought it, and what it was merged with.
// audience: investigator
// param id: STRING = "person-mohamed-amra-2da800b3"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// A merge moves the merged entity's MENTIONS to the one it joins, so the documents of both
// appear here, each with its own quotes.
MATCH (n:Entity {id: $id})
WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
OPTIONAL MATCH (d:Document)-[m:MENTIONS]->(n)
WHERE (d.handling IS NULL OR $handling_all OR d.handling IN $handling_codes)
  AND (m.handling IS NULL OR $handling_all OR m.handling IN $handling_codes)
WITH n, collect(CASE WHEN d IS NULL THEN null
                     ELSE {id: d.id, title: d.title, name: d.name, quotes: m.quotes} END) AS mentions
OPTIONAL MATCH (ds:Dataset)
WHERE ds.id IN coalesce(n.dataset_ids, [])
WITH n, mentions,
     collect(CASE WHEN ds IS NULL THEN null
                  ELSE {id: ds.id, file_name: ds.file_name, sha256: ds.sha256,
                        imported_by: ds.imported_by, imported_at: ds.imported_at} END) AS datasets
RETURN n.id AS id, n.name AS name, labels(n) AS labels, n.aliases AS aliases,
       n.source_ids AS source_ids, n.quotes AS quotes, n.dataset_ids AS dataset_ids,
       n.merged_into AS merged_into, n.merged_ids AS merged_ids, mentions, datasets

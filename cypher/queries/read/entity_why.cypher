// name: entity_why
// mode: read
// description: What made an entity: its sources (each document with the quotes that cite it), the datasets that brought it, and what it was merged with.
// param id: STRING = "person-mohamed-amra-2da800b3"
// A merge moves the merged entity's MENTIONS to the one it joins, so the documents of both
// appear here, each with its own quotes.
MATCH (n:Entity {id: $id})
OPTIONAL MATCH (d:Document)-[m:MENTIONS]->(n)
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

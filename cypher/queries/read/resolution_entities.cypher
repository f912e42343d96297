// name: resolution_entities
// mode: read
// description: Live entities (documents and merged-away entities aside; all of them, or those with these ids) with what duplicate detection compares: names, identifying properties, sources, neighbours.
// audience: plumbing
// param ids: LIST<STRING> = []
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// An empty list means every live entity. Neighbours are the entities linked by anything but
// MENTIONS: two records of one thing tend to share them.
MATCH (n:Entity)
WHERE NOT n:Document AND n.merged_into IS NULL AND (size($ids) = 0 OR n.id IN $ids)
  AND (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
OPTIONAL MATCH (n)-[r]-(m:Entity)
WHERE type(r) <> 'MENTIONS' AND m.id <> n.id
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (m.handling IS NULL OR $handling_all OR m.handling IN $handling_codes)
WITH n, collect(DISTINCT m.id) AS neighbour_ids
RETURN n.id AS id, n.name AS name, n.aliases AS aliases, labels(n) AS labels,
       n.date AS date, n.date_precision AS date_precision, n.nationality AS nationality,
       n.country AS country, n.source_ids AS source_ids, n.dataset_ids AS dataset_ids,
       neighbour_ids
ORDER BY id

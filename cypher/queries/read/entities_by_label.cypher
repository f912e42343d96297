// name: entities_by_label
// mode: read
// description: A page of the entities with one label, by name (what /entities lists without a search text).
// audience: investigator
// param label: STRING = "Person"
// param skip: INTEGER = 0
// param limit: INTEGER = 20
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// $label "Entity" means any label, since every node carries it. Merged-away entities are
// left out, as the search leaves them out: they are listed through the one they joined.
// Ordered by name, then id, so that the pages of one listing never overlap.
MATCH (n:Entity)
WHERE $label IN labels(n) AND n.merged_into IS NULL
  AND (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN n.id AS id, n.name AS name, n.aliases AS aliases, labels(n) AS labels,
       n.description AS description
ORDER BY name, id
SKIP $skip
LIMIT $limit

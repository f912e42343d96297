// name: search_entities
// mode: read
// description: Entities whose name or alias matches a fulltext query, best match first.
// audience: investigator
// param fulltext_index: STRING = "entity_search"
// param q: STRING = "amra~1 OR amra^2"
// param label: STRING = "Entity"
// param limit: INTEGER = 50
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// The index holds names folded to lower case without accents: search for `la sante`.
// $label "Entity" means any label, since every node carries it. An entity merged into
// another by an analyst's decision is found through the one it joined (its names are
// aliases there), not by itself.
CALL db.index.fulltext.queryNodes($fulltext_index, $q) YIELD node, score
WHERE $label IN labels(node) AND node.merged_into IS NULL
  AND (node.handling IS NULL OR $handling_all OR node.handling IN $handling_codes)
RETURN node.id AS id, node.name AS name, node.aliases AS aliases, labels(node) AS labels,
       node.description AS description, score
ORDER BY score DESC, id
LIMIT $limit

// name: search_entities
// mode: read
// description: Entities whose name or alias matches a fulltext query, best match first.
// param fulltext_index: STRING = "entity_search"
// param q: STRING = "amra"
// param limit: INTEGER = 10
CALL db.index.fulltext.queryNodes($fulltext_index, $q) YIELD node, score
RETURN node.id AS id, node.name AS name, labels(node) AS labels, score
ORDER BY score DESC, id
LIMIT $limit

// name: entity_ids
// mode: read
// description: The id of every entity, or of those of dataset $dataset when it is not empty (exports read the rest by id).
// audience: plumbing
// param dataset: STRING = ""
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// Unordered: ordering a whole graph per page costs a sort each time; the caller sorts once.
MATCH (n:Entity)
WHERE ($dataset = '' OR $dataset IN coalesce(n.dataset_ids, []))
  AND (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN n.id AS id

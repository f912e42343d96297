// name: relationships_from
// mode: read
// description: The relationships that start at the given entities and end at an entity, with their properties; only those of dataset $dataset when it is not empty.
// audience: plumbing
// param ids: LIST<STRING> = ["person-mohamed-amra-2da800b3"]
// param dataset: STRING = ""
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
UNWIND $ids AS wanted
MATCH (a:Entity {id: wanted})-[r]->(b:Entity)
WHERE ($dataset = '' OR $dataset IN coalesce(r.dataset_ids, []))
 
  AND (a.handling IS NULL OR $handling_all OR a.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (b.handling IS NULL OR $handling_all OR b.handling IN $handling_codes)
RETURN r.id AS id, type(r) AS type, a.id AS from_id, b.id AS to_id, properties(r) AS properties

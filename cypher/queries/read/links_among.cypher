// name: links_among
// mode: read
// description: Every relationship of the chosen types between two of the given entities, with its properties.
// audience: investigator
// param ids: LIST<STRING> = ["person-mohamed-amra-2da800b3", "escape-mohamed-amra-fe052559"]
// param types: LIST<STRING> = ["INVOLVED", "OCCURRED_AT"]
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
UNWIND $ids AS wanted
MATCH (a:Entity {id: wanted})-[r]->(b:Entity)
WHERE b.id IN $ids AND type(r) IN $types
 
  AND (a.handling IS NULL OR $handling_all OR a.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (b.handling IS NULL OR $handling_all OR b.handling IN $handling_codes)
RETURN r.id AS id, type(r) AS type, a.id AS from_id, b.id AS to_id, properties(r) AS properties
ORDER BY id

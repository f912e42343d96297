// name: links_among
// mode: read
// description: Every relationship of the chosen types between two of the given entities, with its properties.
// param ids: LIST<STRING> = ["person-mohamed-amra-2da800b3", "escape-mohamed-amra-fe052559"]
// param types: LIST<STRING> = ["INVOLVED", "OCCURRED_AT"]
UNWIND $ids AS wanted
MATCH (a:Entity {id: wanted})-[r]->(b:Entity)
WHERE b.id IN $ids AND type(r) IN $types
RETURN r.id AS id, type(r) AS type, a.id AS from_id, b.id AS to_id, properties(r) AS properties
ORDER BY id

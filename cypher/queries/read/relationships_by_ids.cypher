// name: relationships_by_ids
// mode: read
// description: The relationships whose id is a key of $wanted, with their ends and properties (an import's check for ids already stored).
// param wanted: MAP = {"membership-x-00000000": true}
// Relationship ids have no index: one scan, with a map lookup (not a list search) per
// relationship, answers any number of ids at once.
MATCH (a:Entity)-[r]->(b:Entity)
WHERE $wanted[r.id] = true
RETURN r.id AS id, type(r) AS type, a.id AS from_id, b.id AS to_id, properties(r) AS properties

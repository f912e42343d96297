// name: relationships_by_ids
// mode: read
// description: The relationships whose id is a key of $wanted, with their ends and properties (an import's check for ids already stored).
// audience: plumbing
// param wanted: MAP = {"membership-x-00000000": true}
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// Relationship ids have no index: one scan, with a map lookup (not a list search) per
// relationship, answers any number of ids at once.
MATCH (a:Entity)-[r]->(b:Entity)
WHERE $wanted[r.id] = true
 
  AND (a.handling IS NULL OR $handling_all OR a.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (b.handling IS NULL OR $handling_all OR b.handling IN $handling_codes)
RETURN r.id AS id, type(r) AS type, a.id AS from_id, b.id AS to_id, properties(r) AS properties

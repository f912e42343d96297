// name: relationship_type_counts
// mode: read
// description: Relationships per type, most common first.
// audience: investigator
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (a)-[r]->(b)
WHERE (a.handling IS NULL OR $handling_all OR a.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (b.handling IS NULL OR $handling_all OR b.handling IN $handling_codes)
RETURN type(r) AS type, count(r) AS relationships
ORDER BY relationships DESC

// name: linkable_names_stamp
// mode: read
// description: A fingerprint of the names a document can mention: how many linkable entities there are and how long their names and aliases are in all.
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// Ingestion keeps its name matcher while this stays the same (see linkable_entities).
MATCH (n:Entity)
WHERE NOT n:Document AND n.merged_into IS NULL
  AND (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN count(n) AS entities, sum(size(coalesce(n.search_text, n.name, ''))) AS name_chars

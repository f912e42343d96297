// name: document_summaries
// mode: read
// description: Title, name and publication date of the documents with these ids.
// audience: plumbing
// param ids: LIST<STRING> = ["document-seed-004-dfd687ba"]
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
UNWIND $ids AS wanted
MATCH (d:Document {id: wanted})
WHERE (d.handling IS NULL OR $handling_all OR d.handling IN $handling_codes)
RETURN d.id AS id, d.title AS title, d.name AS name, d.published AS published,
       d.published_precision AS published_precision
ORDER BY id

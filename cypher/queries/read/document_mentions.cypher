// name: document_mentions
// mode: read
// description: A source document and every entity it mentions, each with the quotes and grading of the mention.
// audience: investigator
// param id: STRING = "document-seed-004-dfd687ba"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (d:Document {id: $id})
WHERE (d.handling IS NULL OR $handling_all OR d.handling IN $handling_codes)
OPTIONAL MATCH (d)-[r:MENTIONS]->(e:Entity)
WHERE (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (e.handling IS NULL OR $handling_all OR e.handling IN $handling_codes)
WITH d, r, e
ORDER BY e.name, e.id
RETURN d.id AS id, d.title AS title,
       collect(CASE WHEN r IS NULL THEN null ELSE {id: r.id, entity_id: e.id, name: e.name,
               labels: labels(e), quote: r.quote, quotes: r.quotes, confidence: r.confidence,
               reliability: r.reliability, credibility: r.credibility,
               linked_by: r.linked_by} END) AS mentions

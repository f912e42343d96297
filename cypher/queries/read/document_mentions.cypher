// name: document_mentions
// mode: read
// description: A source document and every entity it mentions, each with the quotes and grading of the mention.
// param id: STRING = "document-seed-004-dfd687ba"
MATCH (d:Document {id: $id})
OPTIONAL MATCH (d)-[r:MENTIONS]->(e:Entity)
WITH d, r, e
ORDER BY e.name, e.id
RETURN d.id AS id, d.title AS title,
       collect(CASE WHEN r IS NULL THEN null ELSE {id: r.id, entity_id: e.id, name: e.name,
               labels: labels(e), quote: r.quote, quotes: r.quotes, confidence: r.confidence,
               reliability: r.reliability, credibility: r.credibility,
               linked_by: r.linked_by} END) AS mentions

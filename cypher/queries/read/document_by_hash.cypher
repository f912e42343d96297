// name: document_by_hash
// mode: read
// description: The source document whose text has this SHA-256, with the ids of the entities it already mentions.
// audience: plumbing
// param content_sha256: STRING = "718895991854f761c32584fb5294af8da63faa3231177a9966d80083cb7e044d"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// Ingestion reuses this document rather than storing the same text twice.
MATCH (d:Document {content_sha256: $content_sha256})
WHERE (d.handling IS NULL OR $handling_all OR d.handling IN $handling_codes)
OPTIONAL MATCH (d)-[m:MENTIONS]->(e:Entity)
WHERE (m.handling IS NULL OR $handling_all OR m.handling IN $handling_codes)
  AND (e.handling IS NULL OR $handling_all OR e.handling IN $handling_codes)
WITH d, collect(e.id) AS mentioned_ids
RETURN d.id AS id, d.title AS title, d.handling AS handling, d.reliability AS reliability,
       d.credibility AS credibility, d.published AS published,
       d.published_precision AS published_precision, mentioned_ids
ORDER BY id
LIMIT 1

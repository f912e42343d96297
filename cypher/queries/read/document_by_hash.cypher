// name: document_by_hash
// mode: read
// description: The source document whose text has this SHA-256, with the ids of the entities it already mentions.
// param content_sha256: STRING = "718895991854f761c32584fb5294af8da63faa3231177a9966d80083cb7e044d"
// Ingestion reuses this document rather than storing the same text twice.
MATCH (d:Document {content_sha256: $content_sha256})
OPTIONAL MATCH (d)-[:MENTIONS]->(e:Entity)
WITH d, collect(e.id) AS mentioned_ids
RETURN d.id AS id, d.title AS title, d.reliability AS reliability,
       d.credibility AS credibility, d.published AS published,
       d.published_precision AS published_precision, mentioned_ids
ORDER BY id
LIMIT 1

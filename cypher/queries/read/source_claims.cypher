// name: source_claims
// mode: read
// description: A source document and every node and relationship that cites it.
// audience: investigator
// param id: STRING = "document-seed-004-dfd687ba"
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (d:Document {id: $id})
WHERE (d.handling IS NULL OR $handling_all OR d.handling IN $handling_codes)
OPTIONAL MATCH (n:Entity)
WHERE $id IN n.source_ids AND NOT n:Document
  AND (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
WITH d, collect({id: n.id, name: n.name, labels: labels(n), quote: n.quote, confidence: n.confidence,
                 reliability: n.reliability, credibility: n.credibility}) AS nodes
OPTIONAL MATCH (a:Entity)-[r]->(b:Entity)
WHERE $id IN r.source_ids AND type(r) <> 'MENTIONS'
 
  AND (a.handling IS NULL OR $handling_all OR a.handling IN $handling_codes)
  AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes)
  AND (b.handling IS NULL OR $handling_all OR b.handling IN $handling_codes)
RETURN d.id AS id, d.name AS name, d.title AS title, d.publisher AS publisher, d.url AS url,
       d.published AS published, d.retrieved AS retrieved, d.file_name AS file_name,
       d.content_sha256 AS content_sha256, d.text AS text,
       d.reliability AS reliability, d.credibility AS credibility,
       [x IN nodes WHERE x.id IS NOT NULL] AS nodes,
       collect(CASE WHEN r IS NULL THEN null ELSE {id: r.id, type: type(r), from_id: a.id, from_name: a.name,
               to_id: b.id, to_name: b.name, quote: r.quote, confidence: r.confidence,
               reliability: r.reliability, credibility: r.credibility} END) AS relationships

// name: event_claims
// mode: read
// description: Every event (merged-away ones too) with its date and status claims, the dated events that are PART_OF it, and their sources, for finding contradictions.
// audience: investigator
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (e:Event)
WHERE (e.handling IS NULL OR $handling_all OR e.handling IN $handling_codes)
OPTIONAL MATCH (part:Event)-[p:PART_OF]->(e)
WHERE part.date IS NOT NULL
  AND (part.handling IS NULL OR $handling_all OR part.handling IN $handling_codes)
  AND (p.handling IS NULL OR $handling_all OR p.handling IN $handling_codes)
WITH e, collect(CASE WHEN part IS NULL THEN null
                     ELSE {id: part.id, name: part.name, date: part.date,
                           date_precision: part.date_precision, quote: part.quote,
                           source_ids: part.source_ids, link_id: p.id} END) AS parts
RETURN e.id AS id, e.name AS name, labels(e) AS labels, e.date AS date,
       e.date_precision AS date_precision, e.date_text AS date_text, e.status AS status,
       e.quote AS quote, e.source_ids AS source_ids, e.merged_into AS merged_into, parts
ORDER BY id

// name: incidents
// mode: read
// description: A timeline of events, by date (undated last), with facilities and attributed networks (directly or via a wave).
// audience: investigator
// param labels: LIST<STRING> = ["Attack", "Escape", "Arrest", "Seizure", "Operation"]
// param since: STRING = "0000"
// param until: STRING = "9999"
// param facility_id: STRING = ""
// param network_id: STRING = ""
// param min_confidence: INTEGER = 0
// param max_reliability: STRING = "F"
// param max_credibility: INTEGER = 6
// param skip: INTEGER = 0
// param limit: INTEGER = 100
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// Dates are partial ISO text. Comparing a date and a bound cut to the shorter of the two
// tests whether the periods overlap: "2024-04" lies within from "2024-04-10", and
// "2024-04-12" within to "2024-04". Undated events appear only when no bound is given.
// An event an analyst merged into another appears once, as the one it joined.
// Ordered to the id, so that the pages of one timeline ($skip, $limit) never overlap.
MATCH (e:Event)
WHERE any(label IN labels(e) WHERE label IN $labels)
  AND e.merged_into IS NULL
  AND e.confidence >= $min_confidence
  AND e.reliability <= $max_reliability AND e.credibility <= $max_credibility
  AND ((e.date IS NULL AND $since = '0000' AND $until = '9999')
       OR (left(e.date, size($since)) >= left($since, size(e.date))
           AND left(e.date, size($until)) <= left($until, size(e.date))))
  AND (e.handling IS NULL OR $handling_all OR e.handling IN $handling_codes)
OPTIONAL MATCH (e)-[at:OCCURRED_AT|TARGETED]->(f:Facility)
WHERE at.confidence >= $min_confidence
  AND at.reliability <= $max_reliability AND at.credibility <= $max_credibility
  AND (at.handling IS NULL OR $handling_all OR at.handling IN $handling_codes)
  AND (f.handling IS NULL OR $handling_all OR f.handling IN $handling_codes)
WITH e, collect(DISTINCT CASE WHEN f IS NULL THEN null ELSE {id: f.id, name: f.name} END) AS facilities
OPTIONAL MATCH p = (e)-[:PART_OF*0..1]->(:Event)-[blame:ATTRIBUTED_TO]->(n:Organization)
WHERE blame.confidence >= $min_confidence
  AND blame.reliability <= $max_reliability AND blame.credibility <= $max_credibility
  AND all(x IN nodes(p) WHERE (x.handling IS NULL OR $handling_all OR x.handling IN $handling_codes))
  AND all(x IN relationships(p) WHERE (x.handling IS NULL OR $handling_all OR x.handling IN $handling_codes))
WITH e, facilities,
     collect(DISTINCT CASE WHEN n IS NULL THEN null ELSE {id: n.id, name: n.name, attributed_by: blame.attributed_by} END) AS networks
WHERE ($facility_id = '' OR any(x IN facilities WHERE x.id = $facility_id))
  AND ($network_id = '' OR any(x IN networks WHERE x.id = $network_id))
RETURN e.id AS id, e.name AS name, labels(e) AS labels, e.date AS date,
       e.date_precision AS date_precision, e.date_text AS date_text, e.event_type AS event_type,
       e.status AS status, e.source_ids AS source_ids, e.quote AS quote, e.confidence AS confidence,
       e.reliability AS reliability, e.credibility AS credibility, facilities, networks
ORDER BY e.date IS NULL, e.date, e.name, e.id
SKIP $skip
LIMIT $limit

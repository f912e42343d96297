// name: network_facility_links
// mode: read
// description: How criminal networks connect to facilities: each known kind of connection with its evidence path.
// audience: investigator
// param network_id: STRING = "criminalnetwork-organized-crime-networks-d2d233f5"
// param facility_id: STRING = ""
// param min_confidence: INTEGER = 0
// param max_reliability: STRING = "F"
// param max_credibility: INTEGER = 6
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
// An empty id means any network (or any facility), so one query answers both questions:
// which facilities connect to a network, and which networks connect to a facility.
CALL {
  MATCH p = (net:CriminalNetwork)<-[:ATTRIBUTED_TO]-(:Event)-[:OCCURRED_AT|TARGETED]->(f:Facility)
  RETURN 'attack_attributed_to_network' AS kind, net, f, p
  UNION ALL
  MATCH p = (net:CriminalNetwork)<-[:ATTRIBUTED_TO]-(:Event)<-[:PART_OF]-(:Event)-[:OCCURRED_AT|TARGETED]->(f:Facility)
  RETURN 'attack_in_wave_attributed_to_network' AS kind, net, f, p
  UNION ALL
  MATCH p = (net:CriminalNetwork)<-[:MEMBERSHIP]-(:Person)-[:DETAINED_AT]->(f:Facility)
  RETURN 'member_detained_there' AS kind, net, f, p
  UNION ALL
  MATCH p = (net:CriminalNetwork)<-[:MEMBERSHIP]-(:Person)-[:INVOLVED]->(:Event)-[:OCCURRED_AT|TARGETED]->(f:Facility)
  RETURN 'member_involved_in_incident_there' AS kind, net, f, p
  UNION ALL
  MATCH p = (net:CriminalNetwork)<-[:SUPPLIER_OF]-(:Entity)-[:SUPPLIED|RESOLD]->(:Asset)<-[:SEIZED]-(:Event)-[:OCCURRED_AT|SEARCHED|TARGETED]->(f:Facility)
  RETURN 'supplier_contraband_seized_there' AS kind, net, f, p
}
WITH kind, net, f, p
WHERE ($network_id = '' OR net.id = $network_id)
  AND ($facility_id = '' OR f.id = $facility_id)
  AND all(r IN relationships(p) WHERE r.confidence >= $min_confidence
          AND r.reliability <= $max_reliability AND r.credibility <= $max_credibility
          AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes))
  AND all(x IN nodes(p) WHERE (x.handling IS NULL OR $handling_all OR x.handling IN $handling_codes))
RETURN kind, net.id AS network_id, net.name AS network_name, f.id AS facility_id, f.name AS facility_name,
       [n IN nodes(p) | {id: n.id, name: n.name, labels: labels(n), date: n.date,
                         date_precision: n.date_precision}] AS nodes,
       [r IN relationships(p) | {id: r.id, type: type(r), from_id: startNode(r).id, to_id: endNode(r).id,
         source_ids: r.source_ids, quote: r.quote, confidence: r.confidence,
         reliability: r.reliability, credibility: r.credibility}] AS links
ORDER BY network_id, facility_id, size(links), kind

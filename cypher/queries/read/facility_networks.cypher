// name: facility_networks
// mode: read
// description: How criminal networks connect to one facility: each known kind of connection with its evidence path, searched from the facility.
// audience: investigator
// param types: LIST<STRING> = ["ATTRIBUTED_TO", "OCCURRED_AT", "TARGETED", "PART_OF", "MEMBERSHIP", "DETAINED_AT", "INVOLVED", "SUPPLIER_OF", "SUPPLIED", "RESOLD", "SEIZED", "SEARCHED"]
// param facility_id: STRING = "facility-la-sante-prison-c278fec2"
// param min_confidence: INTEGER = 0
// param max_reliability: STRING = "F"
// param max_credibility: INTEGER = 6
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// The same connections as network_facility_links for one facility, every pattern written
// from the facility (ArcadeDB starts a pattern at its first node, even when the last is
// bound), then reversed so paths still run from the network to the facility. Handling
// (docs/security.md): a path through a node or link restricted to a code the caller lacks is
// left out.
MATCH (f:Entity {id: $facility_id})
WHERE f:Facility
CALL {
  WITH f
  MATCH q = (f)<-[:OCCURRED_AT|TARGETED]-(:Event)-[:ATTRIBUTED_TO]->(net:CriminalNetwork)
  RETURN 'attack_attributed_to_network' AS kind, net, q
  UNION ALL
  WITH f
  MATCH q = (f)<-[:OCCURRED_AT|TARGETED]-(:Event)-[:PART_OF]->(:Event)-[:ATTRIBUTED_TO]->(net:CriminalNetwork)
  RETURN 'attack_in_wave_attributed_to_network' AS kind, net, q
  UNION ALL
  WITH f
  MATCH q = (f)<-[:DETAINED_AT]-(:Person)-[:MEMBERSHIP]->(net:CriminalNetwork)
  RETURN 'member_detained_there' AS kind, net, q
  UNION ALL
  WITH f
  MATCH q = (f)<-[:OCCURRED_AT|TARGETED]-(:Event)<-[:INVOLVED]-(:Person)-[:MEMBERSHIP]->(net:CriminalNetwork)
  RETURN 'member_involved_in_incident_there' AS kind, net, q
  UNION ALL
  WITH f
  MATCH q = (f)<-[:OCCURRED_AT|SEARCHED|TARGETED]-(:Event)-[:SEIZED]->(:Asset)<-[:SUPPLIED|RESOLD]-(:Entity)-[:SUPPLIER_OF]->(net:CriminalNetwork)
  RETURN 'supplier_contraband_seized_there' AS kind, net, q
}
WITH kind, net, f, reverse(nodes(q)) AS path_nodes, reverse(relationships(q)) AS path_links
WHERE all(r IN path_links WHERE type(r) IN $types AND r.confidence >= $min_confidence
          AND r.reliability <= $max_reliability AND r.credibility <= $max_credibility
          AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes))
  AND all(x IN path_nodes WHERE (x.handling IS NULL OR $handling_all OR x.handling IN $handling_codes))
// One row per kind and network, as in network_facilities: how many paths, all their
// sources, and the shortest path (ties broken by link ids).
WITH kind, net, f, path_nodes, path_links,
     toString(size(path_links)) + ' ' + reduce(s = '', r IN path_links | s + r.id + ' ') AS rank,
     reduce(s = [], r IN path_links | s + r.source_ids) AS sources
WITH kind, net, f, count(*) AS paths, min(rank) AS best,
     collect([rank, path_nodes, path_links]) AS ranked, collect(sources) AS source_lists
WITH kind, net, f, paths, [x IN ranked WHERE x[0] = best][0] AS shortest,
     reduce(s = [], l IN source_lists | s + l) AS source_ids
RETURN kind, net.id AS network_id, net.name AS network_name, f.id AS facility_id, f.name AS facility_name,
       paths, source_ids,
       [n IN shortest[1] | {id: n.id, name: n.name, labels: labels(n), date: n.date,
                            date_precision: n.date_precision}] AS nodes,
       [r IN shortest[2] | {id: r.id, type: type(r), from_id: startNode(r).id, to_id: endNode(r).id,
         source_ids: r.source_ids, quote: r.quote, confidence: r.confidence,
         reliability: r.reliability, credibility: r.credibility}] AS links
ORDER BY network_id, facility_id, size(links), kind

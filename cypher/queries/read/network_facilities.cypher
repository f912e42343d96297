// name: network_facilities
// mode: read
// description: How one criminal network connects to facilities: each known kind of connection with its evidence path, searched from the network.
// audience: investigator
// param types: LIST<STRING> = ["ATTRIBUTED_TO", "OCCURRED_AT", "TARGETED", "PART_OF", "MEMBERSHIP", "DETAINED_AT", "INVOLVED", "SUPPLIER_OF", "SUPPLIED", "RESOLD", "SEIZED", "SEARCHED"]
// param network_id: STRING = "criminalnetwork-organized-crime-networks-d2d233f5"
// param min_confidence: INTEGER = 0
// param max_reliability: STRING = "F"
// param max_credibility: INTEGER = 6
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// The same connections as network_facility_links for one network, but every pattern starts
// at the network: network_facility_links enumerates the patterns of every network and then
// keeps one (ten times slower at 10k nodes, benchmarks/README.md). Handling (docs/security.md):
// a path through a node or link restricted to a code the caller lacks is left out.
MATCH (net:Entity {id: $network_id})
WHERE net:CriminalNetwork
CALL {
  WITH net
  MATCH p = (net)<-[:ATTRIBUTED_TO]-(:Event)-[:OCCURRED_AT|TARGETED]->(f:Facility)
  RETURN 'attack_attributed_to_network' AS kind, f, p
  UNION ALL
  WITH net
  MATCH p = (net)<-[:ATTRIBUTED_TO]-(:Event)<-[:PART_OF]-(:Event)-[:OCCURRED_AT|TARGETED]->(f:Facility)
  RETURN 'attack_in_wave_attributed_to_network' AS kind, f, p
  UNION ALL
  WITH net
  MATCH p = (net)<-[:MEMBERSHIP]-(:Person)-[:DETAINED_AT]->(f:Facility)
  RETURN 'member_detained_there' AS kind, f, p
  UNION ALL
  WITH net
  MATCH p = (net)<-[:MEMBERSHIP]-(:Person)-[:INVOLVED]->(:Event)-[:OCCURRED_AT|TARGETED]->(f:Facility)
  RETURN 'member_involved_in_incident_there' AS kind, f, p
  UNION ALL
  WITH net
  MATCH p = (net)<-[:SUPPLIER_OF]-(:Entity)-[:SUPPLIED|RESOLD]->(:Asset)<-[:SEIZED]-(:Event)-[:OCCURRED_AT|SEARCHED|TARGETED]->(f:Facility)
  RETURN 'supplier_contraband_seized_there' AS kind, f, p
}
WITH kind, net, f, p
WHERE all(r IN relationships(p) WHERE type(r) IN $types AND r.confidence >= $min_confidence
          AND r.reliability <= $max_reliability AND r.credibility <= $max_credibility
          AND (r.handling IS NULL OR $handling_all OR r.handling IN $handling_codes))
  AND all(x IN nodes(p) WHERE (x.handling IS NULL OR $handling_all OR x.handling IN $handling_codes))
// One row per kind and facility: how many paths, all their sources, and the shortest path
// (ties broken by link ids; a space sorts before every character of an id, so comparing
// the joined ids compares the lists). A large network has thousands of paths, and the
// engine's cost is per row returned (benchmarks/README.md).
WITH kind, net, f, p,
     toString(length(p)) + ' ' + reduce(s = '', r IN relationships(p) | s + r.id + ' ') AS rank,
     reduce(s = [], r IN relationships(p) | s + r.source_ids) AS sources
WITH kind, net, f, count(p) AS paths, min(rank) AS best, collect([rank, p]) AS ranked,
     collect(sources) AS source_lists
WITH kind, net, f, paths, [x IN ranked WHERE x[0] = best][0][1] AS p,
     reduce(s = [], l IN source_lists | s + l) AS source_ids
RETURN kind, net.id AS network_id, net.name AS network_name, f.id AS facility_id, f.name AS facility_name,
       paths, source_ids,
       [n IN nodes(p) | {id: n.id, name: n.name, labels: labels(n), date: n.date,
                         date_precision: n.date_precision}] AS nodes,
       [r IN relationships(p) | {id: r.id, type: type(r), from_id: startNode(r).id, to_id: endNode(r).id,
         source_ids: r.source_ids, quote: r.quote, confidence: r.confidence,
         reliability: r.reliability, credibility: r.credibility}] AS links
ORDER BY network_id, facility_id, size(links), kind

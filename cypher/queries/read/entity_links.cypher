// name: entity_links
// mode: read
// description: The direct links of an entity, each with its evidence (sources and quote).
// param id: STRING = "person-mohamed-amra-2da800b3"
// param limit: INTEGER = 100
MATCH (n:Entity {id: $id})-[r]-(other:Entity)
RETURN type(r) AS type,
       startNode(r).id = n.id AS outgoing,
       other.id AS other_id,
       other.name AS other_name,
       labels(other) AS other_labels,
       r.source_ids AS source_ids,
       r.quote AS quote,
       r.confidence AS confidence,
       r.reliability + toString(r.credibility) AS grading
ORDER BY type, other_name
LIMIT $limit

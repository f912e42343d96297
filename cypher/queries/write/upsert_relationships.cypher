// Generated from graph/model/model.yaml by `crimegraph model render`; do not edit.
// name: upsert_relationships
// mode: write
// description: Create or update relationships between existing nodes, by id.
// param rows: LIST<MAP> = [{"id": "attributed_to-x-00000000", "type": "ATTRIBUTED_TO", "from": "attack-x-00000000", "to": "criminalnetwork-y-00000000", "props": {}}]
// Returns the rows whose endpoints were both found, so a caller can detect the rest.
UNWIND $rows AS row
MATCH (a:Entity {id: row.from}), (b:Entity {id: row.to})
FOREACH (_ IN CASE WHEN row.type = 'MEMBERSHIP' THEN [1] ELSE [] END |
  MERGE (a)-[r:MEMBERSHIP {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'EMPLOYMENT' THEN [1] ELSE [] END |
  MERGE (a)-[r:EMPLOYMENT {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'ASSOCIATE' THEN [1] ELSE [] END |
  MERGE (a)-[r:ASSOCIATE {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'OWNERSHIP' THEN [1] ELSE [] END |
  MERGE (a)-[r:OWNERSHIP {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'SUPPLIED' THEN [1] ELSE [] END |
  MERGE (a)-[r:SUPPLIED {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'SUPPLIER_OF' THEN [1] ELSE [] END |
  MERGE (a)-[r:SUPPLIER_OF {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'RESOLD' THEN [1] ELSE [] END |
  MERGE (a)-[r:RESOLD {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'DETAINED_AT' THEN [1] ELSE [] END |
  MERGE (a)-[r:DETAINED_AT {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'INVOLVED' THEN [1] ELSE [] END |
  MERGE (a)-[r:INVOLVED {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'TARGETED' THEN [1] ELSE [] END |
  MERGE (a)-[r:TARGETED {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'OCCURRED_AT' THEN [1] ELSE [] END |
  MERGE (a)-[r:OCCURRED_AT {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'DESTINATION' THEN [1] ELSE [] END |
  MERGE (a)-[r:DESTINATION {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'ATTRIBUTED_TO' THEN [1] ELSE [] END |
  MERGE (a)-[r:ATTRIBUTED_TO {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'CONDUCTED_BY' THEN [1] ELSE [] END |
  MERGE (a)-[r:CONDUCTED_BY {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'RESPONSIBLE_FOR' THEN [1] ELSE [] END |
  MERGE (a)-[r:RESPONSIBLE_FOR {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'SEARCHED' THEN [1] ELSE [] END |
  MERGE (a)-[r:SEARCHED {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'SEIZED' THEN [1] ELSE [] END |
  MERGE (a)-[r:SEIZED {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'PART_OF' THEN [1] ELSE [] END |
  MERGE (a)-[r:PART_OF {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'FOLLOWED' THEN [1] ELSE [] END |
  MERGE (a)-[r:FOLLOWED {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'USED_METHOD' THEN [1] ELSE [] END |
  MERGE (a)-[r:USED_METHOD {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'LOCATED_IN' THEN [1] ELSE [] END |
  MERGE (a)-[r:LOCATED_IN {id: row.id}]->(b) SET r += row.props)
FOREACH (_ IN CASE WHEN row.type = 'MENTIONS' THEN [1] ELSE [] END |
  MERGE (a)-[r:MENTIONS {id: row.id}]->(b) SET r += row.props)
RETURN count(row) AS rows

// Generated from graph/model/model.yaml by `crimegraph model render`; do not edit.
// name: upsert_nodes
// mode: write
// description: Create or update nodes, each with all the labels of its model schema.
// param rows: LIST<MAP> = [{"id": "person-mohamed-amra-00000000", "label": "Person", "props": {"name": "Mohamed Amra"}}]
// A node's labels are fixed when it is created (ArcadeDB cannot add one later, and
// labels cannot be parameters), so each schema has its own MERGE, chosen per row.
UNWIND $rows AS row
FOREACH (_ IN CASE WHEN row.label = 'Person' THEN [1] ELSE [] END |
  MERGE (n:Entity:Person {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Organization' THEN [1] ELSE [] END |
  MERGE (n:Entity:Organization {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'CriminalNetwork' THEN [1] ELSE [] END |
  MERGE (n:Entity:Organization:CriminalNetwork {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'PublicBody' THEN [1] ELSE [] END |
  MERGE (n:Entity:Organization:PublicBody {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Company' THEN [1] ELSE [] END |
  MERGE (n:Entity:Organization:Company {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Facility' THEN [1] ELSE [] END |
  MERGE (n:Entity:Facility {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Location' THEN [1] ELSE [] END |
  MERGE (n:Entity:Location {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Asset' THEN [1] ELSE [] END |
  MERGE (n:Entity:Asset {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Method' THEN [1] ELSE [] END |
  MERGE (n:Entity:Method {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Document' THEN [1] ELSE [] END |
  MERGE (n:Entity:Document {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Event' THEN [1] ELSE [] END |
  MERGE (n:Entity:Event {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Attack' THEN [1] ELSE [] END |
  MERGE (n:Entity:Event:Attack {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Escape' THEN [1] ELSE [] END |
  MERGE (n:Entity:Event:Escape {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Arrest' THEN [1] ELSE [] END |
  MERGE (n:Entity:Event:Arrest {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Seizure' THEN [1] ELSE [] END |
  MERGE (n:Entity:Event:Seizure {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Operation' THEN [1] ELSE [] END |
  MERGE (n:Entity:Event:Operation {id: row.id}) SET n += row.props)
FOREACH (_ IN CASE WHEN row.label = 'Measure' THEN [1] ELSE [] END |
  MERGE (n:Entity:Event:Measure {id: row.id}) SET n += row.props)
RETURN count(row) AS rows

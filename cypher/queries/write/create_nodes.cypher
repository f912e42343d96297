// Generated from graph/model.yaml by `crimegraph model render`; do not edit.
// name: create_nodes
// mode: write
// description: Create new nodes, each with all the labels of its model schema (ids must be new).
// param rows: LIST<MAP> = [{"id": "person-mohamed-amra-00000000", "label": "Person", "props": {"name": "Mohamed Amra"}}]
// The unique constraint on Entity.id refuses an id that exists, failing the transaction.
UNWIND $rows AS row
FOREACH (_ IN CASE WHEN row.label = 'Person' THEN [1] ELSE [] END |
  CREATE (n:Entity:Person) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Organization' THEN [1] ELSE [] END |
  CREATE (n:Entity:Organization) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'CriminalNetwork' THEN [1] ELSE [] END |
  CREATE (n:Entity:Organization:CriminalNetwork) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'PublicBody' THEN [1] ELSE [] END |
  CREATE (n:Entity:Organization:PublicBody) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Company' THEN [1] ELSE [] END |
  CREATE (n:Entity:Organization:Company) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Facility' THEN [1] ELSE [] END |
  CREATE (n:Entity:Facility) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Location' THEN [1] ELSE [] END |
  CREATE (n:Entity:Location) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Asset' THEN [1] ELSE [] END |
  CREATE (n:Entity:Asset) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Method' THEN [1] ELSE [] END |
  CREATE (n:Entity:Method) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Document' THEN [1] ELSE [] END |
  CREATE (n:Entity:Document) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Event' THEN [1] ELSE [] END |
  CREATE (n:Entity:Event) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Attack' THEN [1] ELSE [] END |
  CREATE (n:Entity:Event:Attack) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Escape' THEN [1] ELSE [] END |
  CREATE (n:Entity:Event:Escape) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Arrest' THEN [1] ELSE [] END |
  CREATE (n:Entity:Event:Arrest) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Seizure' THEN [1] ELSE [] END |
  CREATE (n:Entity:Event:Seizure) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Operation' THEN [1] ELSE [] END |
  CREATE (n:Entity:Event:Operation) SET n = row.props)
FOREACH (_ IN CASE WHEN row.label = 'Measure' THEN [1] ELSE [] END |
  CREATE (n:Entity:Event:Measure) SET n = row.props)
RETURN count(row) AS rows

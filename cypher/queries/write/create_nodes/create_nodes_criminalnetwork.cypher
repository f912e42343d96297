// Generated from graph/model/model.yaml by `crimegraph model render`; do not edit.
// name: create_nodes_criminalnetwork
// mode: write
// description: Create new CriminalNetwork nodes, with all the labels of the schema (ids must be new).
// param rows: LIST<MAP> = [{"id": "entity-x-00000000", "props": {"id": "entity-x-00000000", "name": "X"}}]
// The unique constraint on Entity.id refuses an id that exists, failing the transaction.
UNWIND $rows AS row
CREATE (n:Entity:Organization:CriminalNetwork)
SET n = row.props
RETURN count(n) AS rows
